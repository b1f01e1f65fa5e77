// The body of a codec's encode(): check every value, size the frame, write the header and
// every field through the one field writer (field-writer.ts), entries included.
import type { CodeWriter } from './code-writer.js';
import { entrySizes, tail } from './codec-layout.js';
import { checkValue, headerValue, itemValue, messageValue, plus, uintValue, wire, writeValue } from './field-writer.js';
import type { HeaderModel, ItemModel, MessageField, MessageModel } from './model.js';

export function emitEncode(w: CodeWriter, message: MessageModel, header: HeaderModel): void {
  const visible = message.fields.filter((field) => !field.isReserved);
  if (visible.length > 0) w.raw(`const { ${visible.map((field) => field.name).join(', ')} } = message;`);
  for (const field of visible) {
    if (field.kind !== 'repeat-eos') checkValue(w, messageValue(field), field.name, `'${field.name}'`);
  }

  const last = tail(message);
  if (!last) {
    w.raw(`const size = ${message.minSize};`);
  } else {
    if (last.kind === 'bytes-eos') {
      w.raw(`const size = ${message.minSize} + ${last.name}.length;`);
    } else {
      const sizes = entrySizes(last.item);
      for (const declaration of sizes.declarations) w.raw(declaration);
      w.raw(`const entrySize = ${sizes.entrySize};`);
      w.raw(`const size = ${message.minSize} + ${last.name}.length * entrySize;`);
    }
    w.line`if (size > ${message.maxSize}) throw ${wire.tooLarge}('${last.name}', size, ${message.maxSize});`;
  }
  w.raw('const frame = new Uint8Array(size);');
  writeValue(w, headerValue(header.size), String(header.size.offset), 'size');
  writeValue(w, headerValue(header.type), String(header.type.offset), String(message.typeNumber));

  const written = new Set<number>();
  for (const field of visible) {
    if (field.kind === 'repeat-eos') writeEntries(w, field.name, field.offset, field.item);
    else if (field.kind !== 'bits') writeValue(w, messageValue(field), String(field.offset), field.name);
    else if (!written.has(field.offset)) {
      // A bit group is written once, as one word, with its first visible field.
      written.add(field.offset);
      writeValue(w, uintValue(field.groupBytes), String(field.offset), bitWord(visible, field.offset));
    }
  }
  w.raw('return frame;');
}

/** The word of the bit group at `offset`: each visible member shifted into place (reserved bits stay 0). */
function bitWord(fields: readonly MessageField[], offset: number): string {
  const terms = fields.flatMap((member) => {
    if (member.kind !== 'bits' || member.offset !== offset) return [];
    const value = member.width === 1 ? `(${member.name} ? 1 : 0)` : member.name;
    return [member.shift === 0 ? value : `${value} << ${member.shift}`];
  });
  return terms.length === 1 ? (terms[0] ?? '') : terms.map((term) => `(${term})`).join(' | ');
}

/** The entries loop: per entry, every member checked, then every member written. */
function writeEntries(w: CodeWriter, name: string, start: number, item: ItemModel): void {
  const sizes = entrySizes(item);
  w.raw(`let offset = ${start};`);
  w.block(`for (let index = 0; index < ${name}.length; index++) {`, () => {
    w.raw(`const entry = ${name}[index]!;`);
    const members = item.fields.map((member) => ({ member, type: itemValue(member, sizes.sizeOf(member)) }));
    for (const { member, type } of members)
      checkValue(w, type, `entry.${member.name}`, `\`${name}[\${index}].${member.name}\``);
    let position: string[] = [];
    for (const { member, type } of members) {
      writeValue(w, type, plus('offset', ...position), `entry.${member.name}`);
      position = [...position, sizes.sizeOf(member)];
    }
    w.raw('offset += entrySize;');
  });
}
