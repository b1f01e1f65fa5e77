/**
 * Frames (or their bytes) counted by server and message type in plain Maps, added to their prom-client
 * counter when /metrics is scraped. prom-client hashes the label set on every `inc`: once
 * per frame in and out, that was about a twentieth of a flooded daemon's time (bench:soak
 * --mode flood, docs/memory.md).
 */
import { Counter, type Registry } from 'prom-client';

export class FrameTally {
  readonly counter: Counter<'server' | 'type'>;
  /** Frames not yet added to the counter, by server, then by type. */
  private readonly pending = new Map<string, Map<number, number>>();

  constructor(name: string, help: string, registry: Registry) {
    const pending = this.pending;
    this.counter = new Counter({
      name,
      help,
      labelNames: ['server', 'type'] as const,
      registers: [registry],
      collect() {
        for (const [server, byType] of pending) {
          for (const [type, count] of byType) if (count > 0) this.inc({ server, type: String(type) }, count);
          byType.clear();
        }
      },
    });
  }

  /** Counts `amount` (frames, or bytes) for a server and message type. */
  add(server: string, type: number, amount = 1): void {
    let byType = this.pending.get(server);
    if (!byType) this.pending.set(server, (byType = new Map<number, number>()));
    byType.set(type, (byType.get(type) ?? 0) + amount);
  }
}
