// DO NOT EDIT: copied by `npm run generate` from generator/templates/errors.ts.
// The errors every generated codec throws. A template: `npm run generate` copies it unchanged
// into generated/ (generator/templates/, type-checked in place like any source).

/** Why a frame was rejected (docs/protocol.md §1). */
export type DecodeErrorCode =
  | 'size-too-small'
  | 'size-too-large'
  | 'size-mismatch'
  | 'wrong-fixed-size'
  | 'truncated'
  | 'trailing-bytes'
  | 'partial-entry'
  | 'unknown-type'
  | 'wrong-type';

/** Why a message could not be encoded. */
export type EncodeErrorCode = 'out-of-range' | 'too-large';

/** A malformed frame: which rule it broke, at which field and byte offset. */
export class DecodeError extends Error {
  readonly code: DecodeErrorCode;
  readonly field: string;
  readonly offset: number;

  constructor(code: DecodeErrorCode, field: string, offset: number, detail: string) {
    super(`${code} at ${field} (offset ${offset}): ${detail}`);
    this.name = 'DecodeError';
    this.code = code;
    this.field = field;
    this.offset = offset;
  }
}

/** A message with a value that does not fit its field; nothing is ever silently masked. */
export class EncodeError extends Error {
  readonly code: EncodeErrorCode;
  readonly field: string;

  constructor(code: EncodeErrorCode, field: string, detail: string) {
    super(`${code} at ${field}: ${detail}`);
    this.name = 'EncodeError';
    this.code = code;
    this.field = field;
  }
}
