// The generator as a product: one-line spec errors, a thirteenth message from one new file, and
// --check naming stale output. Works on copies of spec/ under the OS temp directory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generate } from '../generator/generate.js';
import { runGenerateCommand } from '../generator/generate-command.js';
import { SpecError } from '../generator/spec-error.js';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const temporaryRoots: string[] = [];

function copyOfSpecs(): string {
  const root = mkdtempSync(join(tmpdir(), 'gossip-generator-'));
  temporaryRoots.push(root);
  cpSync(join(projectRoot, 'spec'), join(root, 'spec'), { recursive: true });
  return root;
}

function editSpec(root: string, name: string, edit: (text: string) => string): void {
  const path = join(root, 'spec', name);
  const before = readFileSync(path, 'utf8');
  const after = edit(before);
  assert.notEqual(after, before, 'the edit must change the spec');
  writeFileSync(path, after);
}

async function specErrorLines(root: string): Promise<string[]> {
  try {
    await generate({ root });
  } catch (error) {
    assert.ok(error instanceof SpecError, `expected SpecError, got ${String(error)}`);
    return error.message.split('\n');
  }
  assert.fail('generate accepted a broken spec');
}

/** `npm run generate -- --root ROOT ARGS` as a process: what a user sees (exit code, stderr). */
function runGenerator(root: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'generator/main.ts'), '--root', root, ...args],
    { cwd: projectRoot, encoding: 'utf8' },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The same command in this process (generator/generate-command.ts, which main.ts runs): the
 * same exit code and lines, without paying a process start and module loading per run.
 */
async function runGeneratorHere(
  root: string,
  ...args: string[]
): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await runGenerateCommand(['--root', root, ...args], {
    log: (text) => (stdout += `${text}\n`),
    error: (text) => (stderr += `${text}\n`),
  });
  return { status, stdout, stderr };
}

/** What the regenerated index exports for the thirteenth message, as seen by this test. */
interface PingModule {
  MessageType: Record<string, number>;
  API_ACCEPTED_TYPES: ReadonlySet<number>;
  P2P_ACCEPTED_TYPES: ReadonlySet<number>;
  HANDSHAKE_TYPES: ReadonlySet<number>;
  PRIORITY_TYPES: ReadonlySet<number>;
  DROPPABLE_TYPES: ReadonlySet<number>;
  PING_TOKEN_OFFSET: number;
  Urgency: Record<string, number>;
  decodeFrame(frame: Uint8Array): unknown;
  GossipPing: { encode(message: { urgency: number; isEcho: boolean; hops: number; token: number }): Uint8Array };
}

const PING_SPEC = `meta:
  id: gossip_ping
  title: GOSSIP PING
  endian: be
  imports:
    - gossip_header
  -gossip: { ports: [p2p], droppable: true }
doc: A test-only thirteenth message, to show that one new spec file is all it takes.
doc-ref: docs/protocol.md §2
seq:
  - id: header
    type: gossip_header(512, 12, 16)
    doc: Frame header; type 512.
  - id: urgency
    type: u1
    enum: urgency
    doc: How soon to answer.
  - id: is_echo
    type: b1
    doc: Set on the answer.
  - id: hops
    type: b7
    doc: Hops travelled.
  - id: reserved
    type: u2
    doc: Reserved.
  - id: token
    type: u4
    doc: Echoed token.
    -gossip: { export-offset: PING_TOKEN_OFFSET }
enums:
  urgency:
    0: later
    1: now
`;

describe('generator', function () {
  this.timeout(60_000);

  after(() => {
    for (const root of temporaryRoots) rmSync(root, { recursive: true, force: true });
  });

  it('generates exactly the committed files from spec/', async () => {
    const { files } = await generate({ root: projectRoot });
    for (const [path, content] of files)
      assert.equal(readFileSync(join(projectRoot, path), 'utf8'), content, `${path} is stale`);
  });

  it('reports a misspelled key as one line naming file, path and the key', async () => {
    const root = copyOfSpecs();
    editSpec(root, 'gossip_hello.ksy', (text) =>
      text.replace('    type: u2\n    doc: TCP port', '    tpye: u2\n    doc: TCP port'),
    );
    const lines = await specErrorLines(root);
    assert.ok(
      lines.includes("spec/gossip_hello.ksy: /seq/1: unknown key 'tpye' (did you mean 'type'?)"),
      lines.join('\n'),
    );
  });

  it('reports a missing type as one line naming file and path', async () => {
    const root = copyOfSpecs();
    editSpec(root, 'gossip_hello.ksy', (text) => text.replace('    type: u2\n    doc: TCP port', '    doc: TCP port'));
    const lines = await specErrorLines(root);
    assert.ok(
      lines.some((line) => line.startsWith("spec/gossip_hello.ksy: /seq/1: missing 'type'")),
      lines.join('\n'),
    );
  });

  it('reports an unknown enum as one line naming file, path and the enum', async () => {
    const root = copyOfSpecs();
    editSpec(root, 'gossip_notify.ksy', (text) =>
      text.replace(
        '    doc: Data type to be notified of.',
        '    enum: data_kind\n    doc: Data type to be notified of.',
      ),
    );
    const lines = await specErrorLines(root);
    assert.ok(
      lines.some((line) => line.startsWith("spec/gossip_notify.ksy: /seq/2/enum: unknown enum 'data_kind'")),
      lines.join('\n'),
    );
  });

  it('reports an unknown type and a layout that disagrees with the header limits', async () => {
    const root = copyOfSpecs();
    editSpec(root, 'gossip_hello.ksy', (text) =>
      text.replace('type: gossip_header(508, 8, 8)', 'type: gossip_header(508, 9, 9)'),
    );
    editSpec(root, 'gossip_notify.ksy', (text) =>
      text.replace('    type: u2\n    doc: Data type', '    type: u3\n    doc: Data type'),
    );
    const lines = await specErrorLines(root);
    assert.ok(
      lines.some((line) => line.startsWith('spec/gossip_hello.ksy: /seq/0/type: min size 9 disagrees with the layout')),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((line) => line.startsWith("spec/gossip_notify.ksy: /seq/2/type: unknown type 'u3'")),
      lines.join('\n'),
    );
  });

  it('reports -gossip problems: missing, handshake off P2P, one offset name at two offsets', async () => {
    const root = copyOfSpecs();
    editSpec(root, 'gossip_notify.ksy', (text) => text.replace('  -gossip: { ports: [api] }\n', ''));
    editSpec(root, 'gossip_hello.ksy', (text) =>
      text.replace('ports: [p2p], handshake: true', 'ports: [api], handshake: true'),
    );
    editSpec(root, 'gossip_peer_request.ksy', (text) =>
      text.replace('    type: u8\n', '    type: u8\n    -gossip: { export-offset: CHALLENGE_OFFSET }\n'),
    );
    const lines = await specErrorLines(root);
    assert.ok(
      lines.some((line) => line.startsWith("spec/gossip_notify.ksy: /meta: missing key '-gossip'")),
      lines.join('\n'),
    );
    assert.ok(
      lines.includes('spec/gossip_hello.ksy: /meta/-gossip/handshake: a handshake message must be accepted on p2p'),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((line) =>
        /^spec\/gossip_(peer_request|peer_response)\.ksy: \/seq\/\d\/-gossip\/export-offset: CHALLENGE_OFFSET is \d+ in /.test(
          line,
        ),
      ),
      lines.join('\n'),
    );
  });

  it('reports every problem of every spec in one run: a schema error in one spec stops neither the checks nor the Kaitai compile of another', async () => {
    const root = copyOfSpecs();
    editSpec(root, 'gossip_hello.ksy', (text) =>
      text.replace('    type: u2\n    doc: TCP port', '    tpye: u2\n    doc: TCP port'),
    );
    editSpec(root, 'gossip_notify.ksy', (text) =>
      text.replace(
        '    doc: Data type to be notified of.',
        '    enum: data_kind\n    doc: Data type to be notified of.',
      ),
    );
    const lines = await specErrorLines(root);
    assert.deepEqual(lines, [
      "spec/gossip_hello.ksy: /seq/1: unknown key 'tpye' (did you mean 'type'?)",
      "spec/gossip_notify.ksy: /seq/2/enum: unknown enum 'data_kind' (this spec declares no enums)",
      "spec/gossip_notify.ksy: /seq/2/enum: Kaitai: unable to find enum 'data_kind', searching from gossip_notify",
    ]);
  });

  it('reports a broken header once, without echoing it for every message', async () => {
    const root = copyOfSpecs();
    editSpec(root, 'gossip_header.ksy', (text) =>
      text.replace('  - id: msg_type\n    type: u2', '  - id: msg_type\n    typ: u2'),
    );
    const lines = await specErrorLines(root);
    assert.ok(lines.length > 0 && lines.every((line) => line.startsWith('spec/gossip_header.ksy: ')), lines.join('\n'));
  });

  it('exits non-zero from the command line with one line per problem and no stack trace', () => {
    const root = copyOfSpecs();
    editSpec(root, 'gossip_hello.ksy', (text) =>
      text.replace('    type: u2\n    doc: TCP port', '    tpye: u2\n    doc: TCP port'),
    );
    const { status, stderr } = runGenerator(root);
    assert.equal(status, 1);
    assert.match(stderr, /^spec\/gossip_hello\.ksy: \/seq\/1: unknown key 'tpye'/m);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });

  it('turns one new .ksy file into a thirteenth working codec, registry entry, Frame member and P2P type, with no other edit', async () => {
    const root = copyOfSpecs();
    writeFileSync(join(root, 'spec', 'gossip_ping.ksy'), PING_SPEC);
    const { status, stderr } = await runGeneratorHere(root);
    assert.equal(status, 0, stderr);
    const generated = (await import(pathToFileURL(join(root, 'generated', 'index.ts')).href)) as PingModule;
    assert.equal(generated.MessageType.GOSSIP_PING, 512);
    // The runtime consults only these sets: accepted by the P2P port, nowhere else; dropped under load.
    assert.ok(generated.P2P_ACCEPTED_TYPES.has(512));
    assert.ok(!generated.API_ACCEPTED_TYPES.has(512));
    assert.ok(
      generated.DROPPABLE_TYPES.has(512) && !generated.PRIORITY_TYPES.has(512) && !generated.HANDSHAKE_TYPES.has(512),
    );
    assert.equal(generated.PING_TOKEN_OFFSET, 8);
    assert.deepEqual(generated.Urgency, { LATER: 0, NOW: 1 });
    const bytes = Uint8Array.from(Buffer.from('000c020001fe00000000abcd', 'hex'));
    assert.deepEqual(generated.decodeFrame(bytes), {
      type: 512,
      message: { urgency: 1, isEcho: true, hops: 0x7e, token: 0xabcd },
    });
    assert.deepEqual(generated.GossipPing.encode({ urgency: 1, isEcho: true, hops: 0x7e, token: 0xabcd }), bytes);
    assert.deepEqual(
      generated.decodeFrame(generated.GossipPing.encode({ urgency: 0, isEcho: false, hops: 1, token: 0xffff_ffff })),
      {
        type: 512,
        message: { urgency: 0, isEcho: false, hops: 1, token: 0xffff_ffff },
      },
    );
    assert.throws(
      () => generated.GossipPing.encode({ urgency: 1, isEcho: false, hops: 128, token: 0 }),
      /out-of-range at hops/,
    );
    const longer = Uint8Array.from(Buffer.from('000d020001fe00000000abcd00', 'hex'));
    assert.throws(
      () => generated.decodeFrame(longer),
      (error: unknown) => error instanceof Error && 'code' in error && error.code === 'trailing-bytes',
    );
    assert.match(readFileSync(join(root, 'docs', 'messages.md'), 'utf8'), /## 512 GOSSIP PING/);
    assert.match(readFileSync(join(root, 'generated', 'kaitai', 'GossipPing.js'), 'utf8'), /GossipPing/);
  });

  it('--check passes on fresh output and names every stale, missing or extra file', async () => {
    const root = copyOfSpecs();
    assert.equal((await runGeneratorHere(root)).status, 0);
    assert.equal((await runGeneratorHere(root, '--check')).status, 0);
    writeFileSync(join(root, 'generated', 'gossip-hello.ts'), '// edited by hand\n');
    unlinkSync(join(root, 'docs', 'messages.md'));
    writeFileSync(join(root, 'generated', 'orphan.ts'), 'export {};\n');
    const { status, stderr } = await runGeneratorHere(root, '--check');
    assert.equal(status, 1);
    assert.match(stderr, /stale: generated\/gossip-hello\.ts/);
    assert.match(stderr, /stale: docs\/messages\.md/);
    assert.match(stderr, /not generated by any spec: generated\/orphan\.ts/);
    editSpec(root, 'gossip_hello.ksy', (text) => text.replace('TCP port of the sender', 'The TCP port of the sender'));
    assert.equal((await runGeneratorHere(root)).status, 0);
    assert.equal((await runGeneratorHere(root, '--check')).status, 0);
  });
});
