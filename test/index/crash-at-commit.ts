/**
 * Preloaded (`--import`) into a `tributary index start` process to crash it mid-intake, as a
 * power cut or the OOM killer would: SIGKILL to itself when the index is about to commit its
 * Nth transaction (TRIBUTARY_TEST_CRASH_AT_COMMIT=N), after that transaction has written its
 * state change and its log entries but before any of it is committed. The point is forced by
 * construction, not raced: transactions before it committed and were acknowledged or are being
 * acknowledged, the Nth must vanish whole, and requests after it never get an answer.
 */
import Database from 'better-sqlite3';

const target = Number(process.env.TRIBUTARY_TEST_CRASH_AT_COMMIT);
const exec = Database.prototype.exec;
let commits = 0;
Database.prototype.exec = function (this: Database.Database, sql: string) {
  if (sql === 'COMMIT' && ++commits === target) {
    process.kill(process.pid, 'SIGKILL');
    for (;;); // SIGKILL cannot be caught; nothing after it may run meanwhile.
  }
  return exec.call(this, sql);
};
