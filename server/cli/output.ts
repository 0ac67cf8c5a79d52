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
