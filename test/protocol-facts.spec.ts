// Protocol facts live in generated/ only: the hand-written sources neither
// spell a message type number nor read or write a frame header by hand. Each finding names
// file:line and what to use instead. A number of the Gossip range that is no message type (a
// duration, a status) is fine in a call like sleep(), bound to a name with a unit (`…_MS`, `…_ITEMS`,
// `…Bytes`), or on a line ending in `// not a message type: <what it is>`. Wire bytes on
// purpose (test/vectors, the codec tests) are not scanned; generator/ and generated/ are where
// the facts belong.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { MessageType } from '../generated/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The hand-written code that handles frames: the daemon, the benchmarks, the conformance suite and test helpers. */
const SCANNED = ['runtime', 'bench', 'conformance', 'test/conformance', 'test/support'];
const EXTENSIONS = ['.ts', '.mts', '.mjs', '.js'];

/** Files that build frames byte by byte on purpose, exempt from the header rule only. */
const BY_HAND_ON_PURPOSE = new Map([
  ['bench/baseline-codec.ts', 'the hand-written yardstick bench:codec measures the generated codecs against'],
]);

/** Lowest and highest number a Gossip message type may have (docs/protocol.md §2 reserves 500-519). */
const TYPE_RANGE = { min: 500, max: 519 };
/** A line ending in this comment may use a number of that range for something else. */
const NOT_A_TYPE = '// not a message type';
/** Calls whose numeric arguments are durations, statuses or sizes, never message types. */
const NUMERIC_CALLS = /^(sleep|setTimeout|setInterval|delay|writeHead)$/;
/** Names (variable, property, parameter) whose values are durations or sizes. */
const UNIT_NAMES = /(Ms|_MS|Bytes|_BYTES|Batch|BATCH|Timeout|TIMEOUT|Items|_ITEMS)$/;

const HEADER_READS = new Map([
  ['getUint16', 0],
  ['readUInt16BE', 0],
  ['readU16', 1],
]);
const HEADER_WRITES = new Map([
  ['setUint16', 0],
  ['writeUInt16BE', 1],
  ['writeU16', 1],
]);

function sourceFiles(dir: string): string[] {
  return (
    readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
      .filter(
        (entry) =>
          entry.isFile() &&
          EXTENSIONS.some((extension) => entry.name.endsWith(extension)) &&
          !entry.name.endsWith('.d.mts'),
      )
      .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split('\\').join('/'))
      // Installed packages (bench/gossipsub/node_modules: libp2p) are no code of ours.
      .filter((file) => !file.split('/').includes('node_modules'))
      .sort()
  );
}

const typeNames = new Map<number, string>(Object.entries(MessageType).map(([name, value]) => [value, name]));

function calleeName(call: ts.CallExpression): string {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return '';
}

function literalValue(node: ts.Node | undefined): number | undefined {
  return node && ts.isNumericLiteral(node) ? Number(node.text) : undefined;
}

/** The name a literal is bound to (variable, property or parameter default), if any. */
function boundName(node: ts.Node): string {
  const parent = node.parent;
  if (
    (ts.isVariableDeclaration(parent) ||
      ts.isPropertyAssignment(parent) ||
      ts.isParameter(parent) ||
      ts.isPropertyDeclaration(parent)) &&
    parent.name &&
    ts.isIdentifier(parent.name)
  ) {
    return parent.name.text;
  }
  return '';
}

function isNumericUse(literal: ts.NumericLiteral, lineText: string): boolean {
  if (lineText.trimEnd().includes(NOT_A_TYPE)) return true;
  if (UNIT_NAMES.test(boundName(literal))) return true;
  const parent = literal.parent;
  return ts.isCallExpression(parent) && NUMERIC_CALLS.test(calleeName(parent));
}

/** Every finding in one file's text: `file:line: what`. */
function findingsIn(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lines = text.split('\n');
  const findings: string[] = [];
  const report = (node: ts.Node, what: string): void => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
    findings.push(`${file}:${line + 1}: ${what}`);
  };
  const isHeaderExempt = BY_HAND_ON_PURPOSE.has(file);
  const visit = (node: ts.Node): void => {
    if (ts.isNumericLiteral(node)) {
      const value = Number(node.text);
      const line = lines[source.getLineAndCharacterOfPosition(node.getStart(source)).line] ?? '';
      if (value >= TYPE_RANGE.min && value <= TYPE_RANGE.max && !isNumericUse(node, line)) {
        const name = typeNames.get(value);
        report(
          node,
          `message type number ${node.text} spelled by hand: use ${name ? `MessageType.${name}` : 'MessageType'} (generated/index.ts)`,
        );
      }
    }
    if (!isHeaderExempt && ts.isCallExpression(node)) {
      const name = calleeName(node);
      const readAt = HEADER_READS.get(name);
      const writeAt = HEADER_WRITES.get(name);
      const offset = literalValue(node.arguments[readAt ?? writeAt ?? -1]);
      if (offset === 0 || offset === 2) {
        report(
          node,
          `${readAt !== undefined ? 'reads' : 'writes'} a header field by hand (${name} at ${offset}): use frameSizeOf, frameTypeOf, writeFrameHeader or a codec (generated/index.ts)`,
        );
      }
    }
    if (
      !isHeaderExempt &&
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.LessThanLessThanToken &&
      literalValue(node.right) === 8
    ) {
      let byte: ts.Expression = node.left;
      while (ts.isParenthesizedExpression(byte) || ts.isNonNullExpression(byte)) byte = byte.expression;
      if (ts.isElementAccessExpression(byte)) {
        report(
          node,
          'assembles a big-endian u16 by hand: use frameSizeOf, frameTypeOf or a codec (generated/index.ts)',
        );
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return findings;
}

describe('protocol facts only in generated/', () => {
  const files = SCANNED.flatMap(sourceFiles);

  it('scans the hand-written sources that handle frames', () => {
    assert.ok(
      files.includes('runtime/core/framer.ts') &&
        files.includes('bench/codec.bench.ts') &&
        files.includes('conformance/bytes.ts'),
      files.join('\n'),
    );
    for (const file of BY_HAND_ON_PURPOSE.keys())
      assert.ok(files.includes(file), `${file} is exempt but no longer scanned: take it off the list`);
  });

  it('finds no message type number and no header parsed by hand', () => {
    const findings = files.flatMap((file) => findingsIn(file, readFileSync(join(ROOT, file), 'utf8')));
    assert.deepEqual(findings, [], `\n${findings.join('\n')}`);
  });

  it('would catch each kind of slip (the scanner itself)', () => {
    const count = (code: string): number => findingsIn('probe.ts', code).length;
    assert.equal(count('if (frame.type === 503) handle();'), 1);
    assert.equal(count('const types = new Set([506, 507, 508]);'), 3);
    assert.equal(count('const GRACEFUL_CLOSE_MS = 503;'), 0);
    assert.equal(count('const WARM_UP_ITEMS = 500;'), 0);
    assert.equal(count('await sleep(503);'), 0);
    assert.equal(count(`const x = 503; ${NOT_A_TYPE}: a port offset`), 0);
    assert.equal(count('const type = (frame[2]! << 8) | frame[3]!;'), 1);
    assert.equal(count('const size = (buffer[offset]! << 8) | buffer[offset + 1]!;'), 1);
    assert.equal(count('view.setUint16(2, type); buffer.writeUInt16BE(size, 0); readU16(frame, 2);'), 3);
    assert.equal(count('view.setUint16(6, dataType);'), 0);
  });
});
