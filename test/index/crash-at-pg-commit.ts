/**
 * crash-at-commit.ts for the PostgreSQL store: preloaded (`--import`) into `tributary index start
 * --database …`, it SIGKILLs the process as it is about to commit its Nth intake transaction
 * (TRIBUTARY_TEST_CRASH_AT_COMMIT=N): one that took the log's write lock and wrote its change and
 * log entries, COMMIT not yet sent. The server then rolls the transaction back as the connection
 * drops. Other transactions (migrations, searches) are not counted.
 */
import pg from 'pg';

const target = Number(process.env.TRIBUTARY_TEST_CRASH_AT_COMMIT);
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
const writing = new WeakSet<object>();
let commits = 0;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: object, ...args: unknown[]) {
  const first = args[0];
  const text = typeof first === 'string' ? first : (first as { text?: unknown } | null)?.text;
  if (typeof text === 'string' && /FROM log_head WHERE id = 1 FOR UPDATE/.test(text)) writing.add(this);
  if (text === 'COMMIT' && writing.has(this)) {
    writing.delete(this);
    if (++commits === target) {
      process.kill(process.pid, 'SIGKILL');
      for (;;); // SIGKILL cannot be caught; nothing after it may run meanwhile.
    }
  }
  return query.apply(this, args);
};
