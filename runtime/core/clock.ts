/**
 * Time as the protocol's timers see it. Components take a Clock instead of calling
 * Date.now and setTimeout directly, so that unit tests drive deadlines with a fake clock
 * (test/support/fake-clock.ts) instead of waiting for them.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds, comparable with each other (Date.now on the system clock). */
  now(): number;
  /** Calls `callback` once after `ms`; the timer never keeps the process alive by itself. */
  setTimeout(callback: () => void, ms: number): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};
