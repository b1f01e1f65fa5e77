/**
 * Item ids between their two forms: the 8-byte field of IHAVE and GRAFT, and the latin1
 * string the seen-set and the knowledge base key on (runtime/core/item.ts).
 */
export function idFromBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function idToBytes(id: string): Uint8Array {
  return Buffer.from(id, 'latin1');
}
