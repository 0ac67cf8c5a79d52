import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { TrainerConfigInvalidError } from './errors.js';

/**
 * The trainer's own settings, so that `tributary pull` can ask nodes for access to gated data
 * without flags each time: `$TRIBUTARY_TRAINER_CONFIG`, else `~/.config/tributary/trainer.json`
 * (`$XDG_CONFIG_HOME/tributary/trainer.json` when that is set). Flags win over the file. A
 * missing file is no settings; a broken one is an error, never silently ignored.
 */
export const trainerConfigSchema = z
  .object({
    /** Who asks (a person or an organisation), as the node's operator will see it. */
    name: z.string().trim().min(1).max(200).optional(),
    /** How the operator reaches them (an email address, a URL). */
    contact: z.string().trim().min(3).max(200).optional(),
    /** What the data is for. */
    purpose: z.string().trim().min(3).max(2000).optional(),
  })
  .strict();
export type TrainerConfig = z.output<typeof trainerConfigSchema>;

export function trainerConfigPath(env: { trainerConfig?: string; configHome?: string }): string {
  return env.trainerConfig ?? join(env.configHome ?? join(homedir(), '.config'), 'tributary', 'trainer.json');
}

export function loadTrainerConfig(path: string, required = false): TrainerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !required) return {};
    throw new TrainerConfigInvalidError(`cannot read the trainer config ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TrainerConfigInvalidError(`${path} is not JSON`);
  }
  const parsed = trainerConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TrainerConfigInvalidError(`${path}: ${issue?.path.join('.') || '(root)'} ${issue?.message ?? 'is not valid'}`);
  }
  return parsed.data;
}
