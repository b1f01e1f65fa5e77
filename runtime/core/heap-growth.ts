/**
 * How far V8 lets the heap grow past its live data before a full collection (docs/memory.md).
 * V8 picks a factor of up to 4 when collections are cheap next to the program's own work:
 * throughput first. Under a flood the daemon's per-item state (validation records, queued
 * frames) lives through a few young-generation collections and is promoted, so the old
 * generation filled to 4x its 40-55 MB of live data before each full collection, and the
 * resident size went past 330 MB (bench:soak). Capped at 2, the garbage kept is at most the
 * live data, for a full collection about twice as often. The flag fixes the factor: where V8
 * would pick a smaller one (collections slow next to the program, as on a loaded machine), it
 * now keeps up to 2; the flood is the case that matters.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 100;

/** Caps the heap growth factor of this process (its own process only: a daemon, not a library user). */
export function capHeapGrowth(percent = HEAP_GROWING_PERCENT): void {
  // Read by V8 each time it sets the next collection's limit, so setting it after start-up works.
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
