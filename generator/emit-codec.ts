// Emits one generated/<message>.ts: the message interface and its same-named codec object
// with straight-line encode/decode (no per-field closures, no intermediate objects). The
// bodies are written by emit-encode.ts and emit-decode.ts; imports follow from what they use.
import { Project, VariableDeclarationKind, type SourceFile } from 'ts-morph';
import { CodeWriter } from './code-writer.js';
import { fixedSpans } from './codec-layout.js';
import { doHeader, jsDoc } from './emit-common.js';
import { emitDecode } from './emit-decode.js';
import { emitEncode } from './emit-encode.js';
import { wire } from './field-writer.js';
import type { HeaderModel, ItemModel, MessageField, MessageModel } from './model.js';

export function emitCodec(project: Project, path: string, message: MessageModel, header: HeaderModel): SourceFile {
  const file = project.createSourceFile(path, '', { overwrite: true });
  const w = new CodeWriter();

  for (const enumModel of message.enums) {
    file.addVariableStatement({
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      declarations: [
        {
          name: enumModel.name,
          initializer: `{ ${enumModel.members.map((m) => `${m.name}: ${m.value}`).join(', ')} } as const`,
        },
      ],
    });
  }
  for (const field of message.fields) {
    if (field.kind === 'repeat-eos') emitItemInterface(file, field.item);
  }
  const visible = message.fields.filter((field) => !field.isReserved);
  const docs = [jsDoc(`${message.title} (type ${message.typeNumber}): ${message.doc}`, message.docRef)];
  if (visible.length === 0) {
    // Nothing but reserved fields (PRUNE): an empty object, which an empty interface would not say.
    file.addTypeAlias({ name: message.name, isExported: true, docs, type: 'Record<string, never>' });
  } else {
    file.addInterface({
      name: message.name,
      isExported: true,
      docs,
      properties: visible.map((field) => ({
        name: field.name,
        type: tsType(field),
        isReadonly: false,
        docs: [jsDoc(field.doc, field.docRef)],
      })),
    });
  }

  if (message.minSize !== message.maxSize) {
    file.addVariableStatement({
      declarationKind: VariableDeclarationKind.Const,
      docs: ['Fixed fields with their byte ranges, to name the field a short frame cuts off.'],
      declarations: [
        {
          name: 'FIXED_FIELDS',
          type: `readonly ${w.use(wire.FieldSpan)}[]`,
          initializer: `[\n${fixedSpans(message)
            .map((s) => `  { name: '${s.name}', offset: ${s.offset}, end: ${s.end} },`)
            .join('\n')}\n]`,
        },
      ],
    });
  }

  const codec = w.fork();
  codec.block(
    '{',
    () => {
      codec.raw('/** Type number in the frame header. */').raw(`type: ${message.typeNumber},`);
      codec.raw('/** Name in the message registry. */').raw(`title: '${message.title}',`).blank();
      codec.raw(
        '/** Encodes one whole frame of exactly the needed size; throws EncodeError if a value does not fit. */',
      );
      // A message with no field but reserved ones (PRUNE) never reads its argument.
      const argument = message.fields.some((field) => !field.isReserved) ? 'message' : '_message';
      codec
        .block(`encode(${argument}: ${message.name}): Uint8Array {`, () => emitEncode(codec, message, header), '},')
        .blank();
      codec.raw('/** Decodes one whole frame; throws DecodeError naming the rule, field and offset. */');
      codec.block(`decode(frame: Uint8Array): ${message.name} {`, () => emitDecode(codec, message), '},');
    },
    '} as const',
  );
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [jsDoc(`Encoder and decoder for ${message.title} frames (whole frames, header included).`, message.docRef)],
    declarations: [{ name: message.name, initializer: codec.toString() }],
  });
  file.insertImportDeclarations(0, w.imports());
  file.formatText({ indentSize: 2, convertTabsToSpaces: true });
  file.insertText(0, doHeader(message.file));
  return file;
}

function emitItemInterface(file: SourceFile, item: ItemModel): void {
  file.addInterface({
    name: item.name,
    isExported: true,
    docs: [jsDoc(item.doc, undefined)],
    properties: item.fields.map((field) => ({
      name: field.name,
      type: field.kind === 'uint' ? uintType(field.bytes) : 'Uint8Array',
      docs: [jsDoc(field.doc, field.docRef)],
    })),
  });
}

function tsType(field: MessageField): string {
  switch (field.kind) {
    case 'uint':
      return uintType(field.bytes);
    case 'bits':
      return field.width === 1 ? 'boolean' : 'number';
    case 'bytes':
    case 'bytes-eos':
      return 'Uint8Array';
    case 'repeat-eos':
      return `${field.item.name}[]`;
  }
}

function uintType(bytes: number): string {
  return bytes === 8 ? 'bigint' : 'number';
}
