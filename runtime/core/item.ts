/** An item of gossip and its identity (docs/protocol.md §4.4). */
import { hash } from 'node:crypto';

export interface Item {
  /** First 8 bytes of SHA-256(data_type:u16 ‖ data), as a latin1 string (a cheap Map key). */
  readonly id: string;
  readonly dataType: number;
  readonly data: Uint8Array;
}

/** data_type ‖ data of the item being hashed; one frame's data is at most 64 KiB. */
let scratch = new Uint8Array(2 + 1024);

/**
 * One-shot `hash` over a reused buffer rather than `createHash`: a Hash object per item
 * (and its weak handle, which every garbage collection visits) cost 3 µs of the 4 µs an id
 * took, and a tenth of a flooded daemon's time (bench:soak --mode flood, docs/memory.md).
 */
export function itemId(dataType: number, data: Uint8Array): string {
  if (scratch.length < 2 + data.length) scratch = new Uint8Array(2 + data.length);
  scratch[0] = dataType >>> 8;
  scratch[1] = dataType & 0xff;
  scratch.set(data, 2);
  return hash('sha256', scratch.subarray(0, 2 + data.length), 'binary').slice(0, 8); // 'binary': latin1
}

export function makeItem(dataType: number, data: Uint8Array): Item {
  return { id: itemId(dataType, data), dataType, data };
}

/**
 * The item with a copy of its data. Decoded data is a view into the socket's read chunk
 * (up to 64 KiB, runtime/core/framer.ts): an item kept for long must not pin that chunk, or
 * `knowledge_base_bytes` would count 64 bytes where 64 KiB are held (docs/protocol.md §7.2).
 * The copy comes from Node's Buffer pool: below 4 KiB it shares an 8 KiB slab with the
 * copies made around it (items kept in order of arrival, so slabs stay full) instead of
 * getting an ArrayBuffer of its own, one more object per item for every young-generation
 * collection to track (bench:soak --mode flood, docs/memory.md).
 */
export function withOwnData(item: Item): Item {
  const data = Buffer.allocUnsafe(item.data.length);
  data.set(item.data);
  return { id: item.id, dataType: item.dataType, data };
}

/** The id as 16 hex digits, for logs. */
export function itemIdHex(id: string): string {
  return Buffer.from(id, 'latin1').toString('hex');
}
