/**
 * What a Server does when its receive queue fills (runtime/README.md, docs/protocol.md §7.3).
 * - 'pause': stop reading the connection until the handler catches up (API clients are
 *   never silently dropped).
 * - 'drop-gossip': droppable frames (gossip) beyond the capacity are dropped and counted;
 *   control frames are still queued.
 * - 'pause-fair' (P2P): a connection past its share is paused like 'pause', so one flooding
 *   link cannot push the others' frames out of a shared queue; droppable frames arriving
 *   while the queue is over twice its bounds (what paused connections had already read)
 *   are dropped and counted.
 */
import type { ReceiveQueue } from './receive-queue.js';

export type OverflowPolicy = 'pause' | 'drop-gossip' | 'pause-fair';

/** Whether a droppable frame arriving now is dropped rather than queued. */
export function mustDropGossip(policy: OverflowPolicy, queue: ReceiveQueue<unknown>): boolean {
  switch (policy) {
    case 'drop-gossip':
      return queue.isFull;
    case 'pause-fair':
      return queue.length >= 2 * queue.capacity || queue.bytes >= 2 * queue.maxBytes;
    default:
      return false;
  }
}

/** Whether a connection past its share (or any, while the queue is full) stops being read. */
export function pausesReading(policy: OverflowPolicy): boolean {
  return policy !== 'drop-gossip';
}
