// What every field of the model shares: names and docs from its .ksy attribute, and the
// unsigned integer types of the supported subset.
import type { KsyAttribute } from './ksy-types.js';
import type { FieldBase, UintBytes } from './model.js';
import { camelCase } from './names.js';

export const UINT_TYPES: Record<string, UintBytes> = { u1: 1, u2: 2, u4: 4, u8: 8 };

export function fieldBase(attribute: KsyAttribute): FieldBase {
  return {
    id: attribute.id,
    name: camelCase(attribute.id),
    doc: attribute.doc.trim(),
    docRef: attribute['doc-ref'],
    isReserved: attribute.id.startsWith('reserved'),
  };
}
