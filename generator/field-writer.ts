// The one field writer: how a value is checked, written and read at a byte offset. Message
// fields, repeated entries' fields and the header fields all go through it, so a field kind
// is encoded one way wherever it appears.
import { CodeWriter, exportsOf } from './code-writer.js';
import type { HeaderField, ItemField, MessageField } from './model.js';

/** The helpers of generated/wire.ts (a copy of generator/templates/wire.ts). */
export const wire = exportsOf(
  './wire.js',
  [
    'FieldSpan',
    'isU64',
    'isUint',
    'outOfRange',
    'partialEntry',
    'readU16',
    'readU24',
    'readU32',
    'readU64',
    'sizeTooLarge',
    'tooLarge',
    'trailingBytes',
    'truncated',
    'u64OutOfRange',
    'writeU16',
    'writeU24',
    'writeU32',
    'writeU64',
    'wrongFixedSize',
    'wrongLength',
  ],
  ['FieldSpan'],
);

/** How one value sits on the wire. */
export type WireValue =
  /** An unsigned integer of up to 4 bytes (a uint field, or the word of a bit group); `max` is checked on encode. */
  | { kind: 'uint'; bytes: 1 | 2 | 3 | 4; max: string }
  | { kind: 'u64' }
  /** A b1 field: no check, written inside its bit group. */
  | { kind: 'bool' }
  /** Bytes of a length known before encoding (`size` is code: a number or a local). */
  | { kind: 'bytes'; size: string }
  /** Bytes to the end of the frame. */
  | { kind: 'bytes-eos' };

const READ = { 2: wire.readU16, 3: wire.readU24, 4: wire.readU32 } as const;
const WRITE = { 2: wire.writeU16, 3: wire.writeU24, 4: wire.writeU32 } as const;

export function uintMax(bits: number): string {
  return bits === 32 ? '0xffff_ffff' : `0x${(2 ** bits - 1).toString(16)}`;
}

export function uintValue(bytes: 1 | 2 | 3 | 4 | 8): WireValue {
  return bytes === 8 ? { kind: 'u64' } : { kind: 'uint', bytes, max: uintMax(bytes * 8) };
}

/** The wire value of a message field (a bit field: its own value, not its group's word). */
export function messageValue(field: Exclude<MessageField, { kind: 'repeat-eos' }>): WireValue {
  switch (field.kind) {
    case 'uint':
      return uintValue(field.bytes);
    case 'bits':
      return field.width === 1
        ? { kind: 'bool' }
        : { kind: 'uint', bytes: field.groupBytes, max: uintMax(field.width) };
    case 'bytes':
      return { kind: 'bytes', size: String(field.size) };
    case 'bytes-eos':
      return { kind: 'bytes-eos' };
  }
}

/** The wire value of a repeated entry's field; `size` is the code of a variable size. */
export function itemValue(field: ItemField, size: string): WireValue {
  return field.kind === 'uint' ? uintValue(field.bytes) : { kind: 'bytes', size };
}

export function headerValue(field: HeaderField): WireValue {
  return uintValue(field.bytes);
}

/** `a + b`, folded when both are numbers, without `+ 0`. */
export function plus(...terms: string[]): string {
  const numbers = terms.filter((term) => /^[0-9]+$/.test(term)).reduce((sum, term) => sum + Number(term), 0);
  const others = terms.filter((term) => !/^[0-9]+$/.test(term));
  return [...others, ...(numbers > 0 || others.length === 0 ? [String(numbers)] : [])].join(' + ');
}

/** Emits the encode-time check of `value` (code), naming `path` (code of a string) when it fails. */
export function checkValue(w: CodeWriter, type: WireValue, value: string, path: string): void {
  switch (type.kind) {
    case 'u64':
      w.line`if (!${wire.isU64}(${value})) throw ${wire.u64OutOfRange}(${path}, ${value});`;
      return;
    case 'uint':
      w.line`if (!${wire.isUint}(${value}, ${type.max})) throw ${wire.outOfRange}(${path}, ${value}, ${type.max});`;
      return;
    case 'bytes':
      w.line`if (${value}.length !== ${type.size}) throw ${wire.wrongLength}(${path}, ${value}.length, ${type.size});`;
      return;
    case 'bool':
    case 'bytes-eos':
      return;
  }
}

/** Emits the write of `value` (code) at byte offset `at` (code) of `frame`. */
export function writeValue(w: CodeWriter, type: WireValue, at: string, value: string): void {
  switch (type.kind) {
    case 'u64':
      w.line`${wire.writeU64}(frame, ${at}, ${value});`;
      return;
    case 'uint':
      if (type.bytes === 1) w.line`frame[${at}] = ${value};`;
      else w.line`${WRITE[type.bytes]}(frame, ${at}, ${value});`;
      return;
    case 'bytes':
    case 'bytes-eos':
      w.line`frame.set(${value}, ${at});`;
      return;
    case 'bool':
      throw new Error('a b1 field is written with its bit group');
  }
}

/**
 * The code reading a value at byte offset `at` of `bytes`. Bytes are a view, never a copy:
 * `subarray`, or with `viewOfBuffer` a view made from `buffer` and `base` (locals of the
 * decoder), which costs less than subarray() when made once per entry.
 */
export function readValue(
  w: CodeWriter,
  type: WireValue,
  at: string,
  options: { bytes?: string; viewOfBuffer?: boolean } = {},
): string {
  const bytes = options.bytes ?? 'frame';
  switch (type.kind) {
    case 'u64':
      return w.expr`${wire.readU64}(${bytes}, ${at})`;
    case 'uint':
      return type.bytes === 1 ? `${bytes}[${at}]!` : w.expr`${READ[type.bytes]}(${bytes}, ${at})`;
    case 'bytes':
      return options.viewOfBuffer
        ? `new Uint8Array(buffer, ${plus('base', at)}, ${type.size})`
        : `${bytes}.subarray(${at}, ${plus(at, type.size)})`;
    case 'bytes-eos':
      return `${bytes}.subarray(${at})`;
    case 'bool':
      throw new Error('a b1 field is read from its bit group');
  }
}
