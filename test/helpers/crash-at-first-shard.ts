/**
 * Preloaded (`--import`) into a `tributary release build` process to crash it part-way, as a
 * power cut would: SIGKILL to itself as soon as the first file of the build has been published,
 * i.e. moved from the local build folder (`<node>/tmp/build-…`) into the release store
 * (`<node>/releases/…`). That is mid-publication by construction (one file of the version in the
 * store, the others still in the build folder, no row written), however fast or slow the
 * machine is, so the test need not race a poller against the build.
 */
import { promises } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { sep } from 'node:path';

const rename = promises.rename;
promises.rename = async (from, to) => {
  await rename(from, to);
  const published = String(from).includes(`${sep}tmp${sep}build-`) && String(to).includes(`${sep}releases${sep}`);
  if (published) process.kill(process.pid, 'SIGKILL');
};
// `import { rename } from 'node:fs/promises'` in the store's module sees the wrapper too.
syncBuiltinESMExports();
