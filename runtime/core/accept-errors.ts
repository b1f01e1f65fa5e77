/**
 * Errors of a listening socket, above all running out of descriptors (EMFILE, ENFILE) on
 * accept (docs/protocol.md §7.5): each is counted, and logged at most once per interval
 * with how many were not logged, so that a flood of refused connections cannot flood the
 * log too. The listener keeps listening: accepting works again once descriptors free up.
 */
import type { Logger } from 'pino';

/** At most one log line per this interval per listener. */
export const ACCEPT_ERROR_LOG_INTERVAL_MS = 10_000;

export class AcceptErrors {
  private lastLoggedAt = -Infinity;
  private unlogged = 0;

  constructor(
    private readonly what: string,
    private readonly logger: Logger,
    private readonly count: (code: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  record(error: NodeJS.ErrnoException): void {
    const code = error.code ?? 'unknown';
    this.count(code);
    const now = this.now();
    if (now - this.lastLoggedAt < ACCEPT_ERROR_LOG_INTERVAL_MS) {
      this.unlogged++;
      return;
    }
    const exhausted = code === 'EMFILE' || code === 'ENFILE';
    this.logger.error(
      { code, syscall: error.syscall, notLoggedSinceLast: this.unlogged },
      exhausted
        ? `${this.what}: out of file descriptors, new connections are refused until some free up`
        : `${this.what}: listener error`,
    );
    this.lastLoggedAt = now;
    this.unlogged = 0;
  }
}
