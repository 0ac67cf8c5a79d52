/**
 * Preloaded (`--import`) into a `tributary release build` process to crash it part-way, as a
 * power cut would: SIGKILL to itself at the moment the first finished shard of the build is about
 * to be renamed to its final name. That is mid-build by construction (one split's shards written,
 * the others not started, nothing moved into place), however fast or slow the machine is, so the
 * test need not race a poller against the build.
 */
import { promises } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { sep } from 'node:path';

const rename = promises.rename;
promises.rename = async (from, to) => {
  if (String(from).includes(`${sep}.build-`) && String(from).includes(`${sep}data${sep}`)) process.kill(process.pid, 'SIGKILL');
  return rename(from, to);
};
// `import { rename } from 'node:fs/promises'` in the build's modules sees the wrapper too.
syncBuiltinESMExports();
