// Emits generated/index.ts: the type registry, the Frame union, and the frame-level
// decoder/encoder that dispatch on the header's type. All of it comes from the specs, so a
// new message is one new .ksy file.
import { Project, VariableDeclarationKind, type SourceFile } from 'ts-morph';
import { doHeader } from './emit-codec.js';
import type { MessageModel, ProtocolModel } from './model.js';

export function emitIndex(project: Project, path: string, model: ProtocolModel): SourceFile {
  const { messages } = model;
  const file = project.createSourceFile(path, '', { overwrite: true });
  file.addExportDeclaration({ moduleSpecifier: './errors.js', namedExports: ['DecodeError', 'EncodeError', { name: 'DecodeErrorCode', isTypeOnly: true }, { name: 'EncodeErrorCode', isTypeOnly: true }] });
  file.addExportDeclaration({ moduleSpecifier: './wire.js', namedExports: ['HEADER_SIZE', 'MAX_FRAME_SIZE'] });
  for (const message of messages) {
    const extras = message.fields.flatMap((field) => (field.kind === 'repeat-eos' ? [{ name: field.item.name, isTypeOnly: true }] : []));
    const enums = message.enums.map((e) => e.name);
    file.addExportDeclaration({ moduleSpecifier: `./${message.moduleName}.js`, namedExports: [message.name, ...enums, ...extras] });
  }
  file.addImportDeclaration({ moduleSpecifier: './errors.js', namedImports: ['DecodeError'] });
  file.addImportDeclaration({ moduleSpecifier: './wire.js', namedImports: ['checkFrameSize', 'readU16'] });
  for (const message of messages) {
    file.addImportDeclaration({ moduleSpecifier: `./${message.moduleName}.js`, namedImports: [message.name] });
  }

  file.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: [{ description: '\nThe message type registry (PROTOCOL.md §2), one entry per spec.', tags: [{ tagName: 'see', text: 'PROTOCOL.md §2' }] }],
    declarations: [{ name: 'MessageType', initializer: `{\n${messages.map((m) => `  ${m.constName}: ${m.typeNumber},`).join('\n')}\n} as const` }],
  });
  file.addTypeAlias({ isExported: true, name: 'MessageType', type: '(typeof MessageType)[keyof typeof MessageType]', docs: ['A registered message type number.'] });

  const challengeOffset = sharedChallengeOffset(messages);
  if (challengeOffset !== undefined) {
    file.addVariableStatement({
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: [{ description: '\nByte offset of the proof-of-work `challenge` in every message that carries one.', tags: [{ tagName: 'see', text: 'PROTOCOL.md §4.1' }] }],
      declarations: [{ name: 'CHALLENGE_OFFSET', initializer: String(challengeOffset) }],
    });
  }

  file.addTypeAlias({
    isExported: true,
    name: 'Frame',
    docs: ['A decoded frame: its type number and the message, discriminated on `type`.'],
    type: messages.map((m) => `\n  | { type: ${m.typeNumber}; message: ${m.name} }`).join(''),
  });

  file.addFunction({
    isExported: true,
    name: 'decodeFrame',
    docs: [{ description: '\nDecodes one whole frame of any registered type; throws DecodeError (`unknown-type` for an unregistered type).', tags: [{ tagName: 'see', text: 'PROTOCOL.md §1' }] }],
    parameters: [{ name: 'frame', type: 'Uint8Array' }],
    returnType: 'Frame',
    statements: (writer) => {
      writer.writeLine("checkFrameSize(frame, 'frame');");
      writer.writeLine('const type = readU16(frame, 2);');
      writer.write('switch (type)').block(() => {
        for (const m of messages) {
          writer.writeLine(`case ${m.typeNumber}:`);
          writer.indent().write(`return { type: ${m.typeNumber}, message: ${m.name}.decode(frame) };`).newLine();
        }
        writer.writeLine('default:');
        writer.indent().write("throw new DecodeError('unknown-type', 'type', 2, `no message of type ${type} is registered`);").newLine();
      });
    },
  });

  file.addFunction({
    isExported: true,
    name: 'encodeFrame',
    docs: ['Encodes a Frame with the codec its `type` names; throws EncodeError.'],
    parameters: [{ name: 'frame', type: 'Frame' }],
    returnType: 'Uint8Array',
    statements: (writer) => {
      writer.write('switch (frame.type)').block(() => {
        for (const m of messages) {
          writer.writeLine(`case ${m.typeNumber}:`);
          writer.indent().write(`return ${m.name}.encode(frame.message);`).newLine();
        }
      });
    },
  });
  file.formatText({ indentSize: 2, convertTabsToSpaces: true });
  file.insertText(0, doHeader('spec/*.ksy'));
  return file;
}

/** The offset of `challenge`, if every message that has one has it at the same offset. */
function sharedChallengeOffset(messages: readonly MessageModel[]): number | undefined {
  const offsets = new Set<number>();
  for (const message of messages) {
    for (const field of message.fields) {
      if (field.id === 'challenge' && field.kind === 'uint') offsets.add(field.offset);
    }
  }
  if (offsets.size > 1) throw new Error(`'challenge' sits at different offsets (${[...offsets].join(', ')}); the proof of work needs one`);
  return offsets.values().next().value;
}
