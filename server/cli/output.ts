import cliProgress from 'cli-progress';
import Table from 'cli-table3';

/** Every command prints either a table for people or, with --json, one JSON document for scripts. */
export function printTable(head: string[], rows: Array<Array<string | number>>): void {
  const table = new Table({ head, style: { head: [], border: [] } });
  table.push(...rows.map((row) => row.map(String)));
  console.log(table.toString());
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** A progress bar over files on a terminal; nothing when output goes to a file or a script. */
export function fileBar(enabled: boolean): { update: (done: number, total: number) => void; stop: () => void } {
  if (!enabled) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar({ format: '[{bar}] {percentage}% | {value}/{total} files', hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(done, total) {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
}

/** The rows every backup and restore table shows: when the backup was taken, its files and size. */
export function archiveRows(archive: { createdAt: string; files: number; bytes: number }, taken = 'taken at'): Array<[string, string | number]> {
  return [
    [taken, archive.createdAt],
    ['files', archive.files],
    ['megabytes', (archive.bytes / 1e6).toFixed(1)],
  ];
}
