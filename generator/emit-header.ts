// Emits generated/header.ts from the header spec: HEADER_SIZE, MAX_FRAME_SIZE, the readers of
// a frame's size and type, and the header checks every decoder starts with. Offsets and
// widths come from the spec's fields; nothing here knows them.
import { Project, VariableDeclarationKind, type SourceFile } from 'ts-morph';
import { CodeWriter } from './code-writer.js';
import { doHeader, errors } from './emit-common.js';
import { headerValue, plus, readValue, writeValue } from './field-writer.js';
import type { HeaderModel } from './model.js';

export function emitHeader(project: Project, path: string, header: HeaderModel): SourceFile {
  const file = project.createSourceFile(path, '', { overwrite: true });
  const w = new CodeWriter();
  const { size, type } = header;
  const constant = (name: string, value: number, doc: string): void => {
    file.addVariableStatement({
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: [doc],
      declarations: [{ name, initializer: String(value) }],
    });
  };
  constant(
    'HEADER_SIZE',
    header.bytes,
    `Bytes of the frame header (${fieldsText(header)}): where a message's own fields start.`,
  );
  constant(
    'MAX_FRAME_SIZE',
    header.maxFrameSize,
    'Largest frame: the largest value of the size field, which counts the whole frame, header included.',
  );
  constant(
    'SIZE_FIELD_END',
    size.offset + size.bytes,
    "Bytes from a frame's start up to the end of its size field: enough to judge the size before the rest arrives.",
  );

  const reader = (name: string, field: typeof size, needs: string, doc: string): void => {
    const body = w.fork();
    body.raw(
      `return ${readValue(body, headerValue(field), plus('offset', String(field.offset)), { bytes: 'bytes' })};`,
    );
    file.addFunction({
      isExported: true,
      name,
      docs: [`${doc} of the frame that starts at \`offset\` in \`bytes\`; the caller guarantees ${needs} bytes there.`],
      parameters: [
        { name: 'bytes', type: 'Uint8Array' },
        { name: 'offset', initializer: '0' },
      ],
      returnType: 'number',
      statements: body.toString(),
    });
  };
  reader('frameSizeOf', size, 'SIZE_FIELD_END', 'The size (whole frame in bytes, header included)');
  reader('frameTypeOf', type, 'HEADER_SIZE', 'The message type');

  const writer = w.fork();
  writeValue(writer, headerValue(size), plus('offset', String(size.offset)), 'size');
  writeValue(writer, headerValue(type), plus('offset', String(type.offset)), 'type');
  file.addFunction({
    isExported: true,
    name: 'writeFrameHeader',
    docs: [
      'Writes a header at `offset` in `frame`, unchecked (tools that build frames by hand, malformed ones included); codecs write their own.',
    ],
    parameters: [
      { name: 'frame', type: 'Uint8Array' },
      { name: 'size', type: 'number' },
      { name: 'type', type: 'number' },
      { name: 'offset', initializer: '0' },
    ],
    returnType: 'void',
    statements: writer.toString(),
  });

  const check = w.fork();
  const sizeAt = String(size.offset);
  check.block('if (frame.length < HEADER_SIZE) {', () => {
    check.line`throw new ${errors.DecodeError}('truncated', 'size', frame.length, \`\${title}: \${frame.length} bytes cannot hold the \${HEADER_SIZE}-byte header\`);`;
  });
  check.raw(`const size = ${readValue(check, headerValue(size), sizeAt)};`);
  check.block('if (size < HEADER_SIZE) {', () => {
    check.line`throw new ${errors.DecodeError}('size-too-small', 'size', ${sizeAt}, \`\${title}: size \${size} is smaller than the \${HEADER_SIZE}-byte header\`);`;
  });
  check.block('if (size !== frame.length) {', () => {
    check.line`throw new ${errors.DecodeError}('size-mismatch', 'size', ${sizeAt}, \`\${title}: size field says \${size} bytes, buffer holds \${frame.length}\`);`;
  });
  check.raw('return size;');
  file.addFunction({
    isExported: true,
    name: 'checkFrameSize',
    docs: ['Checks that a buffer holds exactly one frame of a plausible size; returns the size.'],
    parameters: [
      { name: 'frame', type: 'Uint8Array' },
      { name: 'title', type: 'string' },
    ],
    returnType: 'number',
    statements: check.toString(),
  });

  const typeCheck = w.fork();
  typeCheck.raw('const size = checkFrameSize(frame, title);');
  typeCheck.raw(`const type = ${readValue(typeCheck, headerValue(type), String(type.offset))};`);
  typeCheck.block('if (type !== expectedType) {', () => {
    typeCheck.line`throw new ${errors.DecodeError}('wrong-type', 'type', ${type.offset}, \`\${title} decoder got a frame of type \${type}, expected \${expectedType}\`);`;
  });
  typeCheck.raw('return size;');
  file.addFunction({
    isExported: true,
    name: 'checkHeader',
    docs: ["Checks a frame's header against its buffer and the expected type; returns the size."],
    parameters: [
      { name: 'frame', type: 'Uint8Array' },
      { name: 'expectedType', type: 'number' },
      { name: 'title', type: 'string' },
    ],
    returnType: 'number',
    statements: typeCheck.toString(),
  });
  file.insertImportDeclarations(0, w.imports());
  file.formatText({ indentSize: 2, convertTabsToSpaces: true });
  file.insertText(0, doHeader(header.file));
  return file;
}

function fieldsText(header: HeaderModel): string {
  return [header.size, header.type]
    .sort((a, b) => a.offset - b.offset)
    .map((field) => `${field.id}:u${field.bytes * 8}`)
    .join(' | ');
}
