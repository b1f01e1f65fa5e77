/**
 * Polls observable state until it holds: the tests' one way to wait for something that
 * happens elsewhere (another process, the daemon's next turns) without guessing how long it
 * takes. Times out with `what` in the message.
 */

/** How often the state is looked at: cheap checks, short enough not to add latency. */
const POLL_INTERVAL_MS = 10;

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/**
 * Resolves with the value `find` returns once it returns one (not undefined); polls like
 * waitFor.
 */
export async function waitForValue<T>(
  find: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  let found: T | undefined;
  await waitFor(async () => (found = await find()) !== undefined, what, timeoutMs);
  return found as T;
}
