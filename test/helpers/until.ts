/**
 * Polls `check` every 200 ms until it gives a value (anything but undefined, null or false) and
 * returns it: waiting for another process to reach a state, not for time to pass. Fails after
 * `timeoutMs`, naming `what` it waited for.
 */
export async function until<T>(what: string, check: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
