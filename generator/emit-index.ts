// Emits generated/index.ts: the type registry, the protocol facts the runtime consults (the
// header readers, exported field offsets, which types each port accepts, which are handshake,
// priority or droppable), the Frame union, and the frame-level decoder/encoder that dispatch
// on the header's type. All of it comes from the specs, so a new message is one new .ksy file.
import { Project, VariableDeclarationKind, type SourceFile } from 'ts-morph';
import { CodeWriter, Imported } from './code-writer.js';
import { doHeader, errors, header } from './emit-common.js';
import { headerValue, readValue } from './field-writer.js';
import { PORTS } from './ksy-schema.js';
import type { MessageModel, ProtocolModel } from './model.js';

export function emitIndex(project: Project, path: string, model: ProtocolModel): SourceFile {
  const { messages } = model;
  const file = project.createSourceFile(path, '', { overwrite: true });
  const w = new CodeWriter();
  file.addExportDeclaration({
    moduleSpecifier: './errors.js',
    namedExports: [
      'DecodeError',
      'EncodeError',
      { name: 'DecodeErrorCode', isTypeOnly: true },
      { name: 'EncodeErrorCode', isTypeOnly: true },
    ],
  });
  file.addExportDeclaration({
    moduleSpecifier: './header.js',
    namedExports: ['HEADER_SIZE', 'MAX_FRAME_SIZE', 'SIZE_FIELD_END', 'frameSizeOf', 'frameTypeOf', 'writeFrameHeader'],
  });
  for (const message of messages) {
    const extras = message.fields.flatMap((field) =>
      field.kind === 'repeat-eos' ? [{ name: field.item.name, isTypeOnly: true }] : [],
    );
    const enums = message.enums.map((e) => e.name);
    file.addExportDeclaration({
      moduleSpecifier: `./${message.moduleName}.js`,
      namedExports: [message.name, ...enums, ...extras],
    });
  }

  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [
      {
        description: '\nThe message type registry (docs/protocol.md §2), one entry per spec.',
        tags: [{ tagName: 'see', text: 'docs/protocol.md §2' }],
      },
    ],
    declarations: [
      {
        name: 'MessageType',
        initializer: `{\n${messages.map((m) => `  ${m.constName}: ${m.typeNumber},`).join('\n')}\n} as const`,
      },
    ],
  });
  file.addTypeAlias({
    isExported: true,
    name: 'MessageType',
    type: '(typeof MessageType)[keyof typeof MessageType]',
    docs: ['A registered message type number.'],
  });

  for (const offset of model.offsets) {
    const titles = offset.fields.map((field) => field.title);
    const where =
      titles.length > 1
        ? `${titles.slice(0, -1).join(', ')} and ${titles[titles.length - 1] ?? ''}`
        : (titles[0] ?? '');
    const docRef = offset.fields.find((field) => field.docRef)?.docRef;
    file.addVariableStatement({
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: [
        {
          description: `\nByte offset of \`${offset.fields[0]?.id ?? ''}\` in ${where} (\`-gossip: export-offset\`).`,
          tags: docRef ? [{ tagName: 'see', text: docRef }] : [],
        },
      ],
      declarations: [{ name: offset.name, initializer: String(offset.offset) }],
    });
  }
  for (const port of PORTS) {
    typeSet(
      file,
      `${port.toUpperCase()}_ACCEPTED_TYPES`,
      `Message types the ${port.toUpperCase()} port accepts (\`-gossip: ports\` lists ${port}).`,
      messages.filter((m) => m.ports.includes(port)),
    );
  }
  typeSet(
    file,
    'HANDSHAKE_TYPES',
    'Message types accepted on P2P before the peer is verified (`-gossip: handshake`).',
    messages.filter((m) => m.isHandshake),
  );
  typeSet(
    file,
    'PRIORITY_TYPES',
    'Message types served ahead of the others (`-gossip: priority`).',
    messages.filter((m) => m.isPriority),
  );
  typeSet(
    file,
    'DROPPABLE_TYPES',
    'Message types that may be dropped under load (`-gossip: droppable`).',
    messages.filter((m) => m.isDroppable),
  );

  file.addTypeAlias({
    isExported: true,
    name: 'Frame',
    docs: ['A decoded frame: its type number and the message, discriminated on `type`.'],
    type: messages.map((m) => `\n  | { type: ${m.typeNumber}; message: ${m.name} }`).join(''),
  });

  const decode = w.fork();
  decode.line`${header.checkFrameSize}(frame, 'frame');`;
  decode.raw(`const type = ${readValue(decode, headerValue(model.header.type), String(model.header.type.offset))};`);
  decode.block('switch (type) {', () => {
    for (const m of messages) {
      decode.raw(`case ${m.typeNumber}:`)
        .line`  return { type: ${m.typeNumber}, message: ${codecOf(decode, m)}.decode(frame) };`;
    }
    decode.raw('default:')
      .line`  throw new ${errors.DecodeError}('unknown-type', 'type', ${model.header.type.offset}, \`no message of type \${type} is registered\`);`;
  });
  file.addFunction({
    isExported: true,
    name: 'decodeFrame',
    docs: [
      {
        description:
          '\nDecodes one whole frame of any registered type; throws DecodeError (`unknown-type` for an unregistered type).',
        tags: [{ tagName: 'see', text: 'docs/protocol.md §1' }],
      },
    ],
    parameters: [{ name: 'frame', type: 'Uint8Array' }],
    returnType: 'Frame',
    statements: decode.toString(),
  });

  const encode = w.fork();
  encode.block('switch (frame.type) {', () => {
    for (const m of messages)
      encode.raw(`case ${m.typeNumber}:`).raw(`  return ${codecOf(encode, m)}.encode(frame.message);`);
  });
  file.addFunction({
    isExported: true,
    name: 'encodeFrame',
    docs: ['Encodes a Frame with the codec its `type` names; throws EncodeError.'],
    parameters: [{ name: 'frame', type: 'Frame' }],
    returnType: 'Uint8Array',
    statements: encode.toString(),
  });
  file.insertImportDeclarations(0, w.imports());
  file.formatText({ indentSize: 2, convertTabsToSpaces: true });
  file.insertText(0, doHeader('spec/*.ksy'));
  return file;
}

function codecOf(w: CodeWriter, message: MessageModel): string {
  return w.use(new Imported(`./${message.moduleName}.js`, message.name));
}

/** A `ReadonlySet<MessageType>` of the given messages, named by registry key. */
function typeSet(file: SourceFile, name: string, doc: string, members: readonly MessageModel[]): void {
  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [doc],
    declarations: [
      {
        name,
        type: 'ReadonlySet<MessageType>',
        initializer: `new Set<MessageType>([${members.map((m) => `\n  MessageType.${m.constName},`).join('')}${members.length > 0 ? '\n' : ''}])`,
      },
    ],
  });
}
