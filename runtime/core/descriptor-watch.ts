/**
 * Notices when the process runs out of file descriptors (docs/protocol.md §7.5). libuv
 * hides EMFILE on accept: it accepts the pending connections with a reserved descriptor and
 * closes them at once, and the listener hears nothing. So the watch looks itself, once a
 * second: it counts /proc/self/fd against the soft limit (or fails to, with EMFILE). Each
 * check that finds the process at its limit is counted, and logged at most once per
 * interval. Linux only; elsewhere the watch does nothing (the listener's own 'error' events
 * are still counted, runtime/core/accept-errors.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { ACCEPT_ERROR_LOG_INTERVAL_MS } from './accept-errors.js';

const CHECK_INTERVAL_MS = 1_000;
/** Descriptors kept free for libuv's reserve and the check itself: "at the limit" below this. */
const HEADROOM = 2;

export class DescriptorWatch {
  private readonly timer: NodeJS.Timeout | null = null;
  private lastLoggedAt = -Infinity;
  private wasExhausted = false;

  constructor(
    private readonly logger: Logger,
    private readonly onExhausted: () => void,
    private readonly limit: number | null = softDescriptorLimit(),
  ) {
    if (this.limit === null) return;
    this.timer = setInterval(() => this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  check(now = Date.now()): void {
    const open = openDescriptors();
    const exhausted = open === null || (this.limit !== null && open >= this.limit - HEADROOM);
    if (exhausted) {
      this.onExhausted();
      if (now - this.lastLoggedAt >= ACCEPT_ERROR_LOG_INTERVAL_MS) {
        this.lastLoggedAt = now;
        this.logger.error(
          { openDescriptors: open, limit: this.limit },
          'out of file descriptors: new connections are refused until some free up',
        );
      }
    } else if (this.wasExhausted) {
      this.logger.warn({ openDescriptors: open, limit: this.limit }, 'file descriptors available again');
    }
    this.wasExhausted = exhausted;
  }
}

/** Open descriptors of this process, or null when even counting them fails (EMFILE). */
function openDescriptors(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

/** RLIMIT_NOFILE's soft limit from /proc/self/limits; null where there is no /proc. */
function softDescriptorLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((text) => text.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : null;
  } catch {
    return null;
  }
}
