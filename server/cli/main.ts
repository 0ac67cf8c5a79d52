import { Command, CommanderError } from 'commander';
import { TributaryError } from '../core/errors.js';
import { version } from '../core/version.js';
import { registerAdminCommands } from './commands/admin.js';
import { registerIndexCommands } from './commands/index.js';
import { registerLangidCommand } from './commands/langid.js';
import { registerNodeCommands } from './commands/node.js';
import { registerPromptCommands } from './commands/prompts.js';
import { registerReleaseCommands } from './commands/release.js';
import { registerTrainerCommands } from './commands/trainer.js';

/** The `tributary` program, one command group a file. */
export function program(): Command {
  const program = new Command('tributary')
    .description('Federated, consent-first text and speech collection for language communities')
    .version(version)
    .exitOverride();
  registerNodeCommands(program);
  registerAdminCommands(program);
  registerPromptCommands(program);
  registerLangidCommand(program);
  registerReleaseCommands(program);
  registerIndexCommands(program);
  registerTrainerCommands(program);
  return program;
}

/**
 * Runs one command line (without the `node tributary` prefix) and returns its exit code, so
 * tests can run commands in process. A failure Tributary expects is one line on stderr; only a
 * bug prints a stack. A command may set its own code (`process.exitCode`) for "ran, but no".
 */
export async function run(argv: string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    await program().parseAsync(argv, { from: 'user' });
    const code = process.exitCode;
    process.exitCode = undefined;
    return typeof code === 'number' ? code : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof TributaryError) {
      console.error(`tributary: ${error.message}`);
      return 1;
    }
    console.error(error);
    return 70; // EX_SOFTWARE: a bug
  }
}
