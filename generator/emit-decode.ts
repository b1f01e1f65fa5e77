// The body of a codec's decode(): the header checks, the size rules of docs/protocol.md §1, then
// every field read through the one field writer (field-writer.ts), entries included.
import type { CodeWriter } from './code-writer.js';
import { entrySizes, tail } from './codec-layout.js';
import { header } from './emit-common.js';
import { itemValue, messageValue, plus, readValue, uintValue, uintMax, wire } from './field-writer.js';
import type { ItemModel, MessageField, MessageModel } from './model.js';

/** The largest frame the u16 size field allows (docs/protocol.md §1). */
const MAX_FRAME_BYTES = 65535;

export function emitDecode(w: CodeWriter, message: MessageModel): void {
  const title = `'${message.title}'`;
  w.line`const size = ${header.checkHeader}(frame, ${message.typeNumber}, ${title});`;
  if (message.minSize === message.maxSize) {
    w.line`if (size !== ${message.minSize}) throw ${wire.wrongFixedSize}(${title}, size, ${message.minSize});`;
  } else {
    w.line`if (size < ${message.minSize}) throw ${wire.truncated}(${title}, size, FIXED_FIELDS);`;
    if (!tail(message))
      w.line`if (size > ${message.minSize}) throw ${wire.trailingBytes}(${title}, size, ${message.minSize});`;
    // Every frame is at most 65535 bytes; a smaller largest size is the type's own bound.
    else if (message.maxSize < MAX_FRAME_BYTES)
      w.line`if (size > ${message.maxSize}) throw ${wire.sizeTooLarge}(${title}, size, ${message.maxSize});`;
  }
  const visible = message.fields.filter((field) => !field.isReserved);
  for (const field of visible) {
    if (field.kind === 'repeat-eos') readEntries(w, message, field.name, field.offset, field.item);
    else
      w.raw(
        `const ${field.name} = ${field.kind === 'bits' ? readBits(w, field) : readValue(w, messageValue(field), String(field.offset))};`,
      );
  }
  w.raw(`return { ${visible.map((field) => field.name).join(', ')} };`);
}

/** A bit field: its group's word, shifted and masked (no mask where the shift leaves only its bits). */
function readBits(w: CodeWriter, field: Extract<MessageField, { kind: 'bits' }>): string {
  const word = readValue(w, uintValue(field.groupBytes), String(field.offset));
  const shifted = field.shift === 0 ? word : `(${word} >>> ${field.shift})`;
  const isTop = field.shift > 0 && field.shift + field.width === field.groupBytes * 8;
  const value = isTop ? shifted : `(${shifted} & ${uintMax(field.width)})`;
  return field.width === 1 ? `${value} !== 0` : value;
}

/** The entries to the end of the frame: a whole number of entries, each a fresh object. */
function readEntries(w: CodeWriter, message: MessageModel, name: string, start: number, item: ItemModel): void {
  const sizes = entrySizes(item);
  for (const declaration of sizes.declarations) w.raw(declaration);
  w.raw(`const entrySize = ${sizes.entrySize};`);
  w.line`if ((size - ${start}) % entrySize !== 0) throw ${wire.partialEntry}('${message.title}', '${name}', ${start}, size, entrySize);`;
  const viewOfBuffer = item.fields.some((member) => member.kind === 'bytes');
  // A view made from the buffer directly costs less than subarray() once per entry.
  if (viewOfBuffer) w.raw('const buffer = frame.buffer;').raw('const base = frame.byteOffset;');
  w.raw(`const ${name}: ${item.name}[] = [];`);
  w.block(`for (let offset = ${start}; offset < size; offset += entrySize) {`, () => {
    let position: string[] = [];
    const members = item.fields.map((member) => {
      const size = sizes.sizeOf(member);
      const value = readValue(w, itemValue(member, size), plus('offset', ...position), { viewOfBuffer });
      position = [...position, size];
      return `${member.name}: ${value}`;
    });
    w.raw(`${name}.push({ ${members.join(', ')} });`);
  });
}
