/** An item of gossip and its identity (docs/protocol.md §4.4). */
import { createHash } from 'node:crypto';

export interface Item {
  /** First 8 bytes of SHA-256(data_type:u16 ‖ data), as a latin1 string (a cheap Map key). */
  readonly id: string;
  readonly dataType: number;
  readonly data: Uint8Array;
}

export function itemId(dataType: number, data: Uint8Array): string {
  const typeBytes = Buffer.of(dataType >>> 8, dataType & 0xff);
  return createHash('sha256').update(typeBytes).update(data).digest().toString('latin1', 0, 8);
}

export function makeItem(dataType: number, data: Uint8Array): Item {
  return { id: itemId(dataType, data), dataType, data };
}

/**
 * The item with a copy of its data. Decoded data is a view into the socket's read chunk
 * (up to 64 KiB, runtime/core/framer.ts): an item kept for long must not pin that chunk, or
 * `knowledge_base_bytes` would count 64 bytes where 64 KiB are held (docs/protocol.md §7.2).
 */
export function withOwnData(item: Item): Item {
  return { id: item.id, dataType: item.dataType, data: new Uint8Array(item.data) };
}

/** The id as 16 hex digits, for logs. */
export function itemIdHex(id: string): string {
  return Buffer.from(id, 'latin1').toString('hex');
}
