/**
 * The conformance runner (case order, preconditions, timeouts, node health and restart), case
 * selection, the case list, and the reports and configs it writes; no node is started.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allCases } from '../../conformance/cases/index.js';
import { formatResult, summarise, toJunit } from '../../conformance/reporters.js';
import { runCases, selectCases } from '../../conformance/runner.js';
import { fillPlaceholders, nodeConfig } from '../../conformance/spawner.js';
import { chooseCases } from '../../conformance/suite.js';
import { blocked, fail, pass, skip, type CaseResult, type ConformanceCase } from '../../conformance/types.js';
import { options, ROOT } from '../support/conformance-runs.js';

describe('conformance runner', () => {
  const context = {
    nodes: [{ index: 0, api: { host: '127.0.0.1', port: 1 }, p2p: null }],
    settings: options({}).settings,
    spawnNode: null,
  };
  const make = (id: string, run: ConformanceCase['run'], extra: Partial<ConformanceCase> = {}): ConformanceCase => ({
    id,
    group: 'api',
    section: '1',
    requirement: 'r',
    minNodes: 1,
    run,
    ...extra,
  });

  it("fails a hung case on its timeout, turns a throw into that case's FAIL, and closes what a case tracked", async () => {
    let destroyed = 0;
    const results = await runCases({
      ...context,
      cases: [
        make('a/hangs', () => new Promise(() => undefined), { timeoutMs: 50 }),
        make('a/throws', async (c) => {
          c.track({ destroy: () => destroyed++ });
          throw new Error('boom');
        }),
        make('a/passes', async () => pass()),
      ],
    });
    assert.deepEqual(
      results.map((r) => r.outcome.status),
      ['fail', 'fail', 'pass'],
    );
    assert.match(formatResult(results[0]!), /did not finish within 50 ms/);
    assert.match(formatResult(results[1]!), /boom/);
    assert.equal(destroyed, 1);
  });

  it('skips a case that needs more nodes than the run has, saying how many', async () => {
    const [result] = await runCases({ ...context, cases: [make('a/three', async () => pass(), { minNodes: 3 })] });
    assert.equal(result!.outcome.status, 'skip');
    assert.match(formatResult(result!), /needs 3 nodes/);
  });

  it('runs preconditions first and reports a case whose precondition failed as BLOCKED by it, with the root cause', async () => {
    const order: string[] = [];
    const results = await runCases({
      ...context,
      cases: [
        make('a/uses-ttl', async () => (order.push('uses'), pass()), { needs: ['ttl-1-delivery'] }),
        make('a/ttl1', async () => (order.push('ttl1'), pass()), { provides: 'ttl-1-delivery', needs: ['path:local'] }),
        make('a/local', async () => (order.push('local'), fail({ message: 'not delivered' })), {
          provides: 'path:local',
        }),
        make('a/independent', async () => (order.push('independent'), pass())),
      ],
    });
    assert.deepEqual(order, ['local', 'independent']);
    const byId = new Map(results.map((r) => [r.id, r.outcome]));
    assert.deepEqual(byId.get('a/ttl1'), blocked('a/local', 'not delivered'));
    assert.deepEqual(byId.get('a/uses-ttl'), blocked('a/local', 'not delivered'));
    assert.match(formatResult(results.find((r) => r.id === 'a/uses-ttl')!), /^BLOCKED by a\/local/);
  });

  it('works around a node that closes unsubscribed announcers: announcers subscribe first, nothing is blocked', async () => {
    let subscribes: boolean | null = null;
    const results = await runCases({
      ...context,
      cases: [
        make('a/announce', async () => fail({ message: 'closed' }), { provides: 'announce-unsubscribed' }),
        make('a/uses', async (c) => ((subscribes = c.announcerSubscribes), pass()), {
          needs: ['announce-unsubscribed'],
        }),
      ],
    });
    assert.deepEqual(
      results.map((r) => r.outcome.status),
      ['fail', 'pass'],
    );
    assert.equal(subscribes, true);
  });

  it('gives a case the delivery path shown to work and says which', async () => {
    const nodes = [0, 1].map((index) => ({ index, api: { host: '127.0.0.1', port: 1 + index }, p2p: null }));
    let seen = '';
    const results = await runCases({
      ...context,
      nodes,
      cases: [
        make('a/leaf-to-hub', async () => fail({ message: 'no' }), { provides: 'path:leaf-to-hub' }),
        make('a/local', async () => pass(), { provides: 'path:local' }),
        make('a/uses', async (c) => ((seen = `${c.path.from.index}->${c.path.to.index}`), pass()), {
          needs: ['delivery'],
        }),
      ],
    });
    assert.equal(seen, '0->0');
    assert.equal(results[2]!.path, 'local (node 0 → node 0)');
  });

  it('reports a node that stopped answering against the case that ran, restarts it, and goes on', async () => {
    let calls = 0;
    const restarted: number[] = [];
    const results = await runCases({
      ...context,
      cases: [make('a/wedges', async () => pass()), make('a/next', async () => pass())],
      checkNodes: async () => (calls++ === 0 ? [{ index: 0, what: 'stopped answering' }] : []),
      restartNode: async (index) => (restarted.push(index), true),
    });
    assert.deepEqual(
      results.map((r) => r.outcome.status),
      ['fail', 'pass'],
    );
    assert.match(formatResult(results[0]!), /after this case node 0 stopped answering \(restarted node 0\)/);
    assert.deepEqual(restarted, [0]);
  });

  it('blames the last case that ran, not a SKIP that sent nothing, for a node found dead after the SKIP', async () => {
    let calls = 0;
    const amended: string[] = [];
    const results = await runCases({
      ...context,
      // The console has printed a/ran already: it is told of the change, to print it again.
      onProgress: (event) => void (event.amended && amended.push(`${event.amended.id} after ${event.last?.id}`)),
      cases: [
        make('a/ran', async () => pass()),
        make('a/skipped', async () => skip('nothing to do')),
        make('a/next', async () => pass()),
      ],
      checkNodes: async () => (calls++ === 1 ? [{ index: 0, what: 'stopped answering' }] : []),
      restartNode: async () => true,
    });
    assert.deepEqual(
      results.map((r) => `${r.id}=${r.outcome.status}`),
      ['a/ran=fail', 'a/skipped=skip', 'a/next=pass'],
    );
    assert.match(formatResult(results[0]!), /shortly after this case node 0 stopped answering/);
    assert.deepEqual(amended, ['a/ran after a/skipped']);
  });

  it('blames a case that connected and then SKIPped, for a node found dead after it', async () => {
    let calls = 0;
    const results = await runCases({
      ...context,
      cases: [
        make('a/ran', async () => pass()),
        make('a/connected-then-skipped', async (c) => {
          c.track({ destroy: () => {} }); // as a case's connection to a node is
          return skip('the node closed one of the suite links');
        }),
      ],
      checkNodes: async () => (calls++ === 1 ? [{ index: 0, what: 'stopped answering' }] : []),
      restartNode: async () => true,
    });
    assert.deepEqual(
      results.map((r) => `${r.id}=${r.outcome.status}`),
      ['a/ran=pass', 'a/connected-then-skipped=fail'],
    );
    assert.match(formatResult(results[1]!), /after this case node 0 stopped answering/);
  });

  it('BLOCKS every later case by the case after which a node died for good', async () => {
    const results = await runCases({
      ...context,
      cases: [make('a/kills', async () => pass()), make('a/next', async () => pass())],
      checkNodes: async () => [{ index: 0, what: 'exited' }],
    });
    assert.deepEqual(
      results.map((r) => r.outcome.status),
      ['fail', 'blocked'],
    );
    assert.equal(results[1]!.outcome.status === 'blocked' && results[1]!.outcome.by, 'a/kills');
  });

  it('adds the preconditions a chosen case needs, and leaves out --exclude', () => {
    const ids = chooseCases(['api'], ['api/3.1/ttl-1-neighbours-only']).map((c) => c.id);
    assert.ok(
      ids.includes('api/3.1/announce-without-subscription') &&
        ids.includes('api/3.1/forward-after-valid') &&
        ids.includes('api/3.1/ttl-1-neighbours-only'),
      ids.join(' '),
    );
    const without = chooseCases(['api'], [], ['api/1']).map((c) => c.id);
    assert.ok(without.length > 0 && without.every((id) => !id.startsWith('api/1/')), without.join(' '));
  });

  it('hands out data types and item data that never repeat within a run', async () => {
    const seen = new Set<string>();
    await runCases({
      ...context,
      cases: [1, 2].map((n) =>
        make(`a/${n}`, async (c) => {
          seen.add(`t${c.freshDataType()}`).add(`t${c.freshDataType()}`);
          seen.add(Buffer.from(c.freshData()).toString('hex')).add(Buffer.from(c.freshData()).toString('hex'));
          return pass();
        }),
      ),
    });
    assert.equal(seen.size, 8);
  });

  it('CONFORMANCE.md lists every case with its section and requirement', () => {
    const doc = readFileSync(join(ROOT, 'CONFORMANCE.md'), 'utf8');
    for (const c of allCases)
      assert.ok(doc.includes(`| \`${c.id}\` | §${c.section} | ${c.requirement} |`), `CONFORMANCE.md lacks ${c.id}`);
  });

  it('CONFORMANCE.md and README.md state the number of cases the suite has', () => {
    const count = (group: string): number => allCases.filter((c) => c.group === group).length;
    const doc = readFileSync(join(ROOT, 'CONFORMANCE.md'), 'utf8');
    assert.equal(Number(/\*\*api\*\* \((\d+) cases/.exec(doc)?.[1]), count('api'), 'CONFORMANCE.md: **api** (N cases');
    assert.equal(Number(/\*\*p2p\*\* \((\d+) cases/.exec(doc)?.[1]), count('p2p'), 'CONFORMANCE.md: **p2p** (N cases');
    assert.equal(
      Number(/\d+ of the (\d+) api cases run/.exec(doc)?.[1]),
      count('api'),
      'CONFORMANCE.md: N of the M api cases run',
    );
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    assert.equal(Number(/# (\d+) API rules/.exec(readme)?.[1]), count('api'), 'README.md: # N API rules');
  });

  it("CONFORMANCE.md's counts against other implementations are of every api case the suite has", () => {
    const doc = readFileSync(join(ROOT, 'CONFORMANCE.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Tried against'), doc.indexOf('## Kaitai parsers'));
    const api = allCases.filter((c) => c.group === 'api').length;
    assert.equal(Number(/Counts are of the suite's (\d+) api\s+cases/.exec(section)?.[1]), api, 'N api cases');
    const rows = [...section.matchAll(/\| (\d+) \/ (\d+) \/ (\d+) \/ (\d+) \|$/gm)];
    assert.equal(rows.length, 4, 'one row per implementation and node count');
    for (const row of rows)
      assert.equal(
        row.slice(1).reduce((sum, n) => sum + Number(n), 0),
        api,
        `P / F / B / S of ${row[0]} add up to ${api}`,
      );
  });

  it('selects cases by id, prefix and wildcard', () => {
    const ids = (patterns: string[]) => selectCases(allCases, patterns).map((c) => c.id);
    assert.deepEqual(ids(['api/3.1/no-echo-to-announcer']), ['api/3.1/no-echo-to-announcer']);
    assert.ok(ids(['p2p/4.1']).every((id) => id.startsWith('p2p/4.1/')) && ids(['p2p/4.1']).length >= 4);
    assert.ok(ids(['api/*/ttl-*']).length >= 2);
    assert.deepEqual(ids(['api/3.1/ttl']), []); // a prefix matches whole path segments only
  });

  it('gives every case a unique id, its section in the id, and a one-line requirement', () => {
    assert.equal(new Set(allCases.map((c) => c.id)).size, allCases.length);
    for (const c of allCases) {
      assert.ok(c.id.startsWith(`${c.group}/${c.section.split('.')[0]}`), c.id);
      assert.ok(!c.requirement.includes('\n') && c.requirement.length > 10, c.id);
    }
  });
});

describe('conformance reports and configs', () => {
  const results: CaseResult[] = [
    { id: 'api/1/x', group: 'api', section: '1', requirement: 'ok <rule>', outcome: pass(), durationMs: 5 },
    {
      id: 'api/3.1/y',
      group: 'api',
      section: '3.1',
      requirement: 'bad & wrong',
      outcome: fail({ message: 'closed', sent: '0004 01f4', expected: 'open', got: 'closed' }),
      durationMs: 7,
    },
    {
      id: 'p2p/4.1/z',
      group: 'p2p',
      section: '4.1',
      requirement: 'skipped',
      outcome: skip('no p2p address'),
      durationMs: 0,
    },
    {
      id: 'p2p/4.1/w',
      group: 'p2p',
      section: '4.1',
      requirement: 'blocked',
      outcome: blocked('api/1/x', 'it closed'),
      durationMs: 0,
    },
  ];

  it('writes JUnit XML with one testsuite per group, failures and skips, escaped', () => {
    const xml = toJunit(results, summarise(results, 12));
    assert.match(xml, /<testsuites name="voidphone-gossip-conformance" tests="4" failures="1" skipped="2"/);
    assert.match(xml, /<skipped message="BLOCKED by api\/1\/x: it closed"\/>/);
    assert.match(xml, /<testsuite name="conformance.api" tests="2" failures="1"/);
    assert.match(xml, /<failure message="closed">[^<]*sent: +0004 01f4/);
    assert.match(xml, /<skipped message="no p2p address"\/>/);
    assert.match(xml, /ok &lt;rule&gt;/);
    assert.doesNotMatch(xml, /bad & wrong/);
  });

  it('shows sent, expected and got under a FAIL', () => {
    assert.match(
      formatResult(results[1]!),
      /FAIL {2}api\/3\.1\/y[\s\S]*sent: +0004 01f4\n +expected: open\n +got: +closed/,
    );
  });

  it('writes node 0 without bootstrapper, others with it, and --set keys (section.key too) winning', () => {
    const base = {
      hostkeyPath: '/k.pem',
      api: { host: '127.0.0.1', port: 7001 },
      p2p: { host: '127.0.0.1', port: 6001 },
    };
    const first = nodeConfig({ ...base, bootstrapper: null, set: { degree: '4', 'other.key': 'v' } });
    assert.doesNotMatch(first, /bootstrapper/);
    assert.match(
      first,
      /hostkey = \/k\.pem\n[\s\S]*\[gossip\]\ncache_size = 50\ndegree = 4\np2p_address = 127\.0\.0\.1:6001\napi_address = 127\.0\.0\.1:7001/,
    );
    assert.match(first, /\[other\]\nkey = v/);
    assert.match(
      nodeConfig({ ...base, bootstrapper: { host: '127.0.0.1', port: 6000 }, set: {} }),
      /bootstrapper = 127\.0\.0\.1:6000/,
    );
  });

  it('fills {index}, {dir} and {peers} in --set values', () => {
    assert.equal(
      fillPlaceholders('{dir}/ids-{index}:{peers}', { index: 2, dir: '/w', peers: 'a:1,b:2' }),
      '/w/ids-2:a:1,b:2',
    );
  });
});
