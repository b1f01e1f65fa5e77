// Layout facts the encoder and the decoder both derive from a message model: its variable
// tail, the fixed fields' byte ranges, and the size of one repeated entry.
import type { ItemField, ItemModel, MessageField, MessageModel, SizeExpr } from './model.js';

/** The variable tail (bytes or entries to the end of the frame), if the message has one. */
export function tail(message: MessageModel): Extract<MessageField, { kind: 'bytes-eos' | 'repeat-eos' }> | undefined {
  const last = message.fields[message.fields.length - 1];
  return last && (last.kind === 'bytes-eos' || last.kind === 'repeat-eos') ? last : undefined;
}

/** Byte ranges of the fixed fields (a bit group counts as its first field). */
export function fixedSpans(message: MessageModel): { name: string; offset: number; end: number }[] {
  const spans: { name: string; offset: number; end: number }[] = [];
  for (const field of message.fields) {
    if (field.kind === 'bytes-eos' || field.kind === 'repeat-eos') continue;
    const width = field.kind === 'uint' ? field.bytes : field.kind === 'bits' ? field.groupBytes : field.size;
    if (spans.some((span) => span.offset === field.offset)) continue;
    spans.push({ name: field.name, offset: field.offset, end: field.offset + width });
  }
  return spans;
}

function sizeCode(size: SizeExpr): string {
  return size.kind === 'const' ? String(size.value) : `${size.param} ? ${size.ifTrue} : ${size.ifFalse}`;
}

/** Locals holding each variable-size entry field's size, the entry size, and each field's size as code. */
export function entrySizes(item: ItemModel): {
  declarations: string[];
  entrySize: string;
  sizeOf: (field: ItemField) => string;
} {
  const declarations: string[] = [];
  let constant = 0;
  const variable: string[] = [];
  for (const field of item.fields) {
    if (field.kind === 'uint') constant += field.bytes;
    else if (field.size.kind === 'const') constant += field.size.value;
    else {
      declarations.push(`const ${field.name}Size = ${sizeCode(field.size)};`);
      variable.push(`${field.name}Size`);
    }
  }
  const entrySize = [...variable, ...(constant > 0 || variable.length === 0 ? [String(constant)] : [])].join(' + ');
  const sizeOf = (field: ItemField): string =>
    field.kind === 'uint'
      ? String(field.bytes)
      : field.size.kind === 'const'
        ? String(field.size.value)
        : `${field.name}Size`;
  return { declarations, entrySize, sizeOf };
}
