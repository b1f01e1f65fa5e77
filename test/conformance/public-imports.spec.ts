/**
 * The conformance suite is a client of the package like any other: conformance/** imports only
 * its own files, Node's built-ins, the package's runtime dependencies and the modules behind
 * package.json's `exports` (voidphone-gossip/codec, /client, /pow, …), never the runtime's
 * internals or generated/ directly. Each finding names file:line and the import.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { DEFAULT_PEER_REQUEST_INTERVAL_S } from '../../runtime/constants.js';
import { DEFAULT_PEER_REQUEST_INTERVAL_MS } from '../../conformance/types.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SUITE = 'conformance';
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { default: string }>;
  dependencies: Record<string, string>;
};

/** The source file behind each public entry point: ./dist/runtime/entry/codec.js → runtime/entry/codec.ts. */
const ENTRY_SOURCES = new Set(
  Object.values(pkg.exports)
    .map((target) => (typeof target === 'string' ? target : target.default))
    .filter((target) => target.startsWith('./dist/') && target.endsWith('.js'))
    .map((target) => target.slice('./dist/'.length).replace(/\.js$/, '.ts')),
);

/** Every module specifier a file names: static imports and re-exports, `import()` and `require()` of a literal. */
function specifiers(file: string, text: string): { specifier: string; line: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: { specifier: string; line: number }[] = [];
  const add = (node: ts.Node): void => {
    if (!ts.isStringLiteralLike(node)) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    found.push({ specifier: node.text, line });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier)
      add(node.moduleSpecifier);
    if (ts.isCallExpression(node)) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if ((isImport || isRequire) && node.arguments[0]) add(node.arguments[0]);
    }
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** What is wrong with `specifier` imported from `file` (a repository path), or null when it is allowed. */
function problemWith(file: string, specifier: string): string | null {
  if (specifier.startsWith('node:')) return null;
  if (!specifier.startsWith('.')) {
    const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
    return name in pkg.dependencies ? null : `${specifier}: not a runtime dependency of the package`;
  }
  const target = posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.js$/, '.ts');
  if (target.startsWith(`${SUITE}/`) || ENTRY_SOURCES.has(target)) return null;
  return `${specifier} (${target}): not a public entry point (${[...ENTRY_SOURCES].join(', ')})`;
}

function findingsIn(file: string, text: string): string[] {
  return specifiers(file, text).flatMap(({ specifier, line }) => {
    const problem = problemWith(file, specifier);
    return problem ? [`${file}:${line}: ${problem}`] : [];
  });
}

function suiteFiles(): string[] {
  return readdirSync(join(ROOT, SUITE), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

describe('the conformance suite uses only the package’s public entry points', () => {
  it('knows the entry points from package.json and finds the suite’s files', () => {
    for (const entry of ['runtime/entry/codec.ts', 'runtime/entry/client.ts', 'runtime/entry/pow.ts'])
      assert.ok(ENTRY_SOURCES.has(entry), `${entry} is exported`);
    const files = suiteFiles();
    assert.ok(files.includes('conformance/peer.ts') && files.includes('conformance/cases/index.ts'), files.join('\n'));
    for (const entry of ENTRY_SOURCES) assert.ok(readFileSync(join(ROOT, entry), 'utf8').length > 0, entry);
  });

  it('imports nothing from the runtime or generated/ but through an entry point', () => {
    const findings = suiteFiles().flatMap((file) => findingsIn(file, readFileSync(join(ROOT, file), 'utf8')));
    assert.deepEqual(findings, [], `\n${findings.join('\n')}`);
  });

  it('would catch each kind of slip (the scanner itself)', () => {
    const count = (code: string, file = 'conformance/cases/probe.ts'): number => findingsIn(file, code).length;
    assert.equal(count("import { PowPool } from '../../runtime/pow/pool.js';"), 1);
    assert.equal(count("import { MessageType } from '../../generated/index.js';"), 1);
    assert.equal(count("export { FrameReader } from '../../runtime/core/framer.js';"), 1);
    assert.equal(count("const m = await import('../../runtime/daemon.js');"), 1);
    assert.equal(count("type T = import('../../runtime/config.js').GossipConfig;"), 1);
    assert.equal(count("import helper from '../../test/support/wait-for.js';"), 1);
    assert.equal(count("import ts from 'typescript';"), 1, 'a dev dependency is not installed with the package');
    assert.equal(count("import { MessageType } from '../../runtime/entry/codec.js';"), 0);
    assert.equal(count("import { PowPool } from '../runtime/entry/pow.js';", 'conformance/peer.ts'), 0);
    assert.equal(count("import { hex } from '../bytes.js'; import net from 'node:net'; import ini from 'ini';"), 0);
  });

  it('keeps its copy of a default the contract gives (peer_request_interval) equal to the runtime’s', () => {
    assert.equal(DEFAULT_PEER_REQUEST_INTERVAL_MS, DEFAULT_PEER_REQUEST_INTERVAL_S * 1000);
  });
});
