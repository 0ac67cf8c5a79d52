import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '../../..');

/** What the phone process (tus-upload.ts) prints, one JSON line per event. */
export interface TusClientEvent {
  event: 'progress' | 'success' | 'error' | 'resuming' | 'dying';
  sent?: number;
  total?: number;
  accepted?: number;
  url?: string;
  status?: number;
  body?: string;
  message?: string;
}

/**
 * Runs the tus client process (test/helpers/tus-upload.ts) to its end: success, error, or the
 * death `--die-after` asks for. Arguments as that file's usage says.
 */
export function runTusClient(args: string[]): Promise<{ events: TusClientEvent[]; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/helpers/tus-upload.ts'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const events: TusClientEvent[] = [];
  let buffered = '';
  return new Promise((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const event = JSON.parse(buffered.slice(0, newline)) as TusClientEvent;
        buffered = buffered.slice(newline + 1);
        events.push(event);
      }
    });
    child.on('exit', () => resolve({ events, child }));
  });
}

