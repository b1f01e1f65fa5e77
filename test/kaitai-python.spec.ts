/**
 * `npm run generate -- --kaitai python --out DIR` (generator/kaitai-export.ts): the Python
 * parsers of our specs decode the hand-written wire vectors to the same fields as our own
 * codecs, using python3 and a Kaitai Struct Python runtime.
 *
 * Runtime: the 0.11 compiler's output refuses runtimes older than 0.11 by a version guard
 * (`API_VERSION < (0, 11)`), yet it only calls stream methods that 0.10 already has. So with
 * Debian's python3-kaitaistruct 0.10 the driver checks that every runtime member the parsers
 * use exists, then lifts the guard; with 0.11 it runs untouched. Without any runtime the
 * test SKIPs, saying how to install one (CONFORMANCE.md, "Kaitai parsers for other languages").
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSpecs } from '../generator/kaitai-export.js';
import { INVALID_VECTORS, VALID_VECTORS } from './vectors/messages.js';

const ROOT = new URL('../', import.meta.url).pathname;

const MODULE_BY_TYPE: Record<number, string> = {
  500: 'gossip_announce',
  501: 'gossip_notify',
  502: 'gossip_notification',
  503: 'gossip_validation',
  504: 'gossip_peer_request',
  505: 'gossip_peer_response',
  506: 'gossip_verification_request',
  507: 'gossip_verification_response',
  508: 'gossip_hello',
  509: 'gossip_ihave',
  510: 'gossip_graft',
  511: 'gossip_prune',
};

/** Decodes each `{module, hex}` from stdin; prints fields as JSON (u64 as strings, bytes as hex). */
const DRIVER = String.raw`
import json, re, sys, importlib
import kaitaistruct
from kaitaistruct import KaitaiStream, BytesIO
mode = 'native'
if getattr(kaitaistruct, 'API_VERSION', (0, 9)) < (0, 11):
    used = set()
    for name in sys.argv[2:]:
        source = open(name).read()
        used |= {('stream', m) for m in re.findall(r'self\._io\.(\w+)', source)}
        used |= {('module', m) for m in re.findall(r'kaitaistruct\.(\w+)', source) if m != '__version__'}
    missing = sorted(m for kind, m in used if not hasattr(KaitaiStream if kind == 'stream' else kaitaistruct, m))
    if missing:
        print(json.dumps({'error': 'runtime %s lacks %s' % (kaitaistruct.__version__, ', '.join(missing))}))
        sys.exit(0)
    kaitaistruct.API_VERSION = (0, 11)
    mode = 'compat-%s' % kaitaistruct.__version__
sys.path.insert(0, sys.argv[1])
def plain(value):
    if isinstance(value, bytes): return value.hex()
    if isinstance(value, bool): return value
    if isinstance(value, int): return str(value)
    if isinstance(value, list): return [plain(v) for v in value]
    if isinstance(value, kaitaistruct.KaitaiStruct):
        return {k: plain(v) for k, v in vars(value).items() if not k.startswith('_')}
    return value
out = []
for job in json.load(sys.stdin):
    module = importlib.import_module(job['module'])
    cls = getattr(module, ''.join(p.capitalize() for p in job['module'].split('_')))
    try:
        out.append({'ok': plain(cls(KaitaiStream(BytesIO(bytes.fromhex(job['hex'])))))})
    except Exception as e:
        out.append({'raised': type(e).__name__})
print(json.dumps({'mode': mode, 'results': out}))
`;

/** A python3 that can import kaitaistruct (PATH first, then the system one), or null. */
function findPython(): { python: string; version: string } | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import kaitaistruct; print(kaitaistruct.__version__)'], {
      encoding: 'utf8',
    });
    if (probe.status === 0) return { python, version: probe.stdout.trim() };
  }
  return null;
}

const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Our codec's message in the driver's JSON shape, with snake_case names. */
function expectedFields(message: object): Record<string, unknown> {
  const plain = (value: unknown): unknown => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
    if (typeof value === 'bigint' || typeof value === 'number') return String(value);
    if (Array.isArray(value)) return value.map(plain);
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [snake(k), plain(v)]));
    return value;
  };
  return plain(message) as Record<string, unknown>;
}

describe('Kaitai export for other languages: Python parsers (generator/kaitai-export.ts)', function () {
  this.timeout(60_000);
  let outDir = '';

  before(function () {
    outDir = mkdtempSync(join(tmpdir(), 'kaitai-python-'));
    execFileSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'generator/main.ts'), '--kaitai', 'python', '--out', outDir],
      { cwd: ROOT, stdio: 'pipe' },
    );
  });

  it('writes one Python module per spec', () => {
    const specs = readdirSync(join(ROOT, 'spec'))
      .filter((name) => name.endsWith('.ksy'))
      .map((name) => name.replace('.ksy', '.py'));
    assert.deepEqual(readdirSync(outDir).sort(), specs.sort());
    assert.match(readFileSync(join(outDir, 'gossip_announce.py'), 'utf8'), /class GossipAnnounce\(KaitaiStruct\)/);
  });

  it('decodes every valid wire vector to the fields our codecs decode, and rejects the invalid ones', function () {
    const found = findPython();
    if (!found) {
      // mocha prints the reason beside the pending test.
      this.test!.title +=
        ' (SKIPPED: no python3 with the kaitaistruct module; apt-get install python3-kaitaistruct, or pip install kaitaistruct==0.11)';
      this.skip();
    }
    const driver = join(outDir, 'decode_vectors.py');
    writeFileSync(driver, DRIVER);
    // Not for a struct parser: an unknown type picks no parser, and a size that disagrees with
    // the buffer is the framer's business (a Kaitai parser reads the bytes it is given).
    const invalid = INVALID_VECTORS.filter(
      (v) =>
        v.code !== 'unknown-type' &&
        v.code !== 'size-mismatch' &&
        MODULE_BY_TYPE[Number.parseInt(v.hex.replace(/ /g, '').slice(4, 8), 16)],
    );
    const jobs = [
      ...VALID_VECTORS.map((v) => ({ module: MODULE_BY_TYPE[v.frame.type]!, hex: v.hex.replace(/ /g, '') })),
      ...invalid.map((v) => ({
        module: MODULE_BY_TYPE[Number.parseInt(v.hex.replace(/ /g, '').slice(4, 8), 16)]!,
        hex: v.hex.replace(/ /g, ''),
      })),
    ];
    const parsers = readdirSync(outDir)
      .filter((n) => n.startsWith('gossip_'))
      .map((n) => join(outDir, n));
    const run = spawnSync(found.python, [driver, outDir, ...parsers], {
      input: JSON.stringify(jobs),
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as {
      error?: string;
      mode: string;
      results: ({ ok: Record<string, unknown> } | { raised: string })[];
    };
    assert.equal(report.error, undefined, report.error);
    VALID_VECTORS.forEach((vector, i) => {
      const result = report.results[i]!;
      assert.ok('ok' in result, `${vector.name}: python raised ${'raised' in result ? result.raised : ''}`);
      const got = result.ok;
      assert.equal(got.header && (got.header as { msg_type: string }).msg_type, String(vector.frame.type), vector.name);
      for (const [key, value] of Object.entries(expectedFields(vector.frame.message))) {
        if (key === 'entries') {
          const entries = (value as Record<string, unknown>[]).map((e) => ({ addr: e.addr, port: e.port }));
          const pyEntries = (got.entries as Record<string, unknown>[]).map((e) => ({ addr: e.addr, port: e.port }));
          assert.deepEqual(pyEntries, entries, vector.name);
        } else {
          assert.deepEqual(got[key], value, `${vector.name}: ${key}`);
        }
      }
    });
    invalid.forEach((vector, i) => {
      assert.ok(
        'raised' in report.results[VALID_VECTORS.length + i]!,
        `python accepted the invalid vector "${vector.name}"`,
      );
    });
    assert.ok(report.mode === 'native' || report.mode.startsWith('compat-'), report.mode);
  });
});

describe('Kaitai export for other languages: any compiler target (generator/kaitai-export.ts)', function () {
  this.timeout(60_000);

  it('compiles every spec for go and java, naming the messages after the specs', async () => {
    const go = await compileSpecs(ROOT, 'go');
    assert.ok(
      [...go.keys()].some((name) => /gossip_announce\.go$/.test(name)),
      [...go.keys()].join(', '),
    );
    assert.match([...go.values()].join('\n'), /type GossipAnnounce struct/);
    const java = await compileSpecs(ROOT, 'java');
    assert.ok(
      [...java.keys()].some((name) => name.endsWith('GossipPeerResponse.java')),
      [...java.keys()].join(', '),
    );
  });

  it('names the known targets when asked for an unknown one, and the CLI exits non-zero', async () => {
    await assert.rejects(
      compileSpecs(ROOT, 'cobol'),
      /unknown Kaitai target "cobol"; the compiler 0\.11\.0 knows .*python.*rust/,
    );
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'generator/main.ts'), '--kaitai', 'cobol', '--out', tmpdir()],
      { cwd: ROOT, encoding: 'utf8' },
    );
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^generate: unknown Kaitai target "cobol"/);
    const noOut = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'generator/main.ts'), '--kaitai', 'python'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    assert.equal(noOut.status, 2);
    assert.match(noOut.stderr, /--kaitai needs both a language and --out DIR/);
  });
});
