/**
 * Preloaded (`--import`) into a `tributary verify` or `pull` process to kill it exactly between
 * placing shards and writing the lock, as a power cut would: SIGKILL to itself when it opens the
 * temporary file `tributary.lock.json` is written through (writeFileAtomic), i.e. after every
 * shard was renamed into place (and sources and card written) but before the lock says so. The
 * point is forced by construction, not raced. No production code knows about it.
 */
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';

const open = fsp.open;
fsp.open = (...args: Parameters<typeof open>) => {
  if (/^\.tributary\.lock\.json\..*\.tmp$/.test(basename(String(args[0])))) {
    process.kill(process.pid, 'SIGKILL');
    for (;;); // SIGKILL cannot be caught; nothing after it may run meanwhile.
  }
  return open(...args);
};
syncBuiltinESMExports();
