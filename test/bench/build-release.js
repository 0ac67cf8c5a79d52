// Runs one release build in its own process (compiled code, as users run it) and reports its
// wall time and peak RSS, so the memory figure is the build's alone.
import { loadNodeConfig } from '../../dist/server/node/config.js';
import { openNodeContext } from '../../dist/server/node/context.js';
import { loadNodeSecrets } from '../../dist/server/node/secrets.js';

const [dir, language, modality = 'speech'] = process.argv.slice(2);
const context = openNodeContext({ dir, config: loadNodeConfig(dir), secrets: loadNodeSecrets(dir) });
const started = performance.now();
const outcome = await context.releaseBuilder.build({ language, modality });
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  JSON.stringify({
    seconds,
    records: outcome.release.records,
    shardBytes: outcome.shards.reduce((n, s) => n + s.bytes, 0),
    shards: outcome.shards.length,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  }) + '\n',
);
await context.close();
