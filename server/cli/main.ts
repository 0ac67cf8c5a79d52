import { Command, CommanderError } from 'commander';
import { AppError, ConfigError } from '../core/errors.js';
import { version } from '../core/version.js';
import { registerAdminCommands } from './admin-commands.js';
import { registerLangidCommand } from './langid-command.js';
import { registerNodeCommands } from './node-commands.js';
import { registerReleaseCommands } from './release-commands.js';

const program = new Command('tributary')
  .description('Federated, consent-first text and speech collection for language communities')
  .version(version);
registerNodeCommands(program);
registerAdminCommands(program);
registerLangidCommand(program);
registerReleaseCommands(program);

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  // Known failures are stated plainly; a stack trace is for bugs only.
  if (error instanceof ConfigError || error instanceof AppError) {
    console.error(`tributary: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
