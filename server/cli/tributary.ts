// The `tributary` command: bin/tributary.js runs this file's build.
import { run } from './main.js';

process.exitCode = await run(process.argv.slice(2));
