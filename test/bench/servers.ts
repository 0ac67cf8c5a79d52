import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ServerProcess {
  url: string;
  /** CPU time (user + system) the server process has used so far, in milliseconds. */
  cpuMs(): number;
  stop(): Promise<void>;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function processCpuMs(pid: number): number {
  // /proc/<pid>/stat: fields after the parenthesised name; utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Runs a server as users run it (plain `node`, no TypeScript loader) and waits for its address. */
export function startServer(args: string[], cwd: string, nodeOptions: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeOptions, ...args], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const onExit = (code: number | null) => reject(new Error(`${args.join(' ')} exited with ${code}: ${output}`));
    child.on('exit', onExit);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output);
      if (!match?.[1]) return;
      resolve({
        url: match[1],
        cpuMs: () => processCpuMs(child.pid!),
        stop: () =>
          new Promise((stopped) => {
            child.off('exit', onExit);
            if (child.exitCode !== null) return stopped();
            child.on('exit', () => stopped());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
