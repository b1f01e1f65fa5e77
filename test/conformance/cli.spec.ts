/**
 * `gossip conformance` as a command: --list, exit codes 1 and 2 with JSON and JUnit reports,
 * --force, Ctrl-C stopping every node, and a --spawn command without {config}.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allCases } from '../../conformance/cases/index.js';
import { BROKEN_NODE, processesLeft, ROOT } from '../support/conformance-runs.js';

describe('gossip conformance (CLI)', function () {
  this.timeout(60_000);

  function gossip(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin/gossip.js'), 'conformance', ...args], { cwd: ROOT });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('--list prints every case with its section and exits 0', async () => {
    const run = await gossip(['--list', '--group', 'p2p']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim().split('\n').length, allCases.filter((c) => c.group === 'p2p').length);
    assert.match(run.stdout, /p2p\/4\.1\/wrong-nonce-closes +§4\.1 +A VERIFICATION RESPONSE/);
  });

  it('exits 1 with a JSON report and a JUnit file when a case fails, and stops its nodes', async () => {
    const junit = join(mkdtempSync(join(tmpdir(), 'conformance-cli-')), 'report.xml');
    const run = await gossip([
      '--spawn',
      BROKEN_NODE,
      '--nodes',
      '2',
      '--set',
      'broken_bugs=echo-to-announcer',
      '--only',
      'api/3.1/no-echo-to-announcer,api/3.1/local-delivery',
      '--json',
      '--junit',
      junit,
      '--hostkey-bits',
      '1024',
    ]);
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as {
      summary: { passed: number; failed: number };
      cases: { id: string; outcome: { status: string; got?: string } }[];
    };
    assert.deepEqual(report.summary.failed, 1);
    assert.equal(report.cases.find((c) => c.id === 'api/3.1/no-echo-to-announcer')?.outcome.status, 'fail');
    assert.match(readFileSync(junit, 'utf8'), /<failure message="the announcer on node 0 received its own item">/);
    const workDir = /configs and logs in (\S+)/.exec(run.stderr)?.[1];
    assert.ok(workDir, run.stderr);
    const pids = await processesLeft(workDir);
    assert.deepEqual(pids, [], 'every spawned node has exited');
    const full = JSON.parse(run.stdout) as { workDir: string; nodes: { index: number; running: boolean }[] };
    assert.equal(full.workDir, workDir);
    assert.deepEqual(
      full.nodes.map((n) => n.index),
      [0, 1],
    );
    const nodesJson = JSON.parse(readFileSync(join(workDir, 'nodes.json'), 'utf8')) as {
      config: string;
      hostkey: string;
      publicKey: string;
      p2p: string;
    }[];
    assert.equal(nodesJson.length, 2);
    assert.match(readFileSync(nodesJson[1]!.config, 'utf8'), new RegExp(`bootstrapper = ${nodesJson[0]!.p2p}`));
  });

  it('exits 2 saying which node reached which when the overlay does not form, unless --force', async () => {
    const args = [
      '--spawn',
      BROKEN_NODE,
      '--nodes',
      '2',
      '--set-node',
      '1:bootstrapper=127.0.0.1:9',
      '--only',
      'api/1/size-0',
      '--ready-timeout',
      '1',
      '--hostkey-bits',
      '1024',
    ];
    const run = await gossip(args);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /error: node 0's items did not reach node 1 within 1000 ms/);
    const forced = await gossip([...args, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /PASS +api\/1\/size-0/);
  });

  it('stops every node it started when interrupted with Ctrl-C (SIGINT) mid-run', async () => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin/gossip.js'),
        'conformance',
        '--spawn',
        BROKEN_NODE,
        '--nodes',
        '2',
        '--group',
        'api',
        '--hostkey-bits',
        '1024',
      ],
      { cwd: ROOT },
    );
    let stderr = '';
    let isInterrupted = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('nodes ready') && !isInterrupted) {
        isInterrupted = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 130, stderr);
    const workDir = /configs and logs in (\S+)/.exec(stderr)?.[1];
    assert.ok(workDir, stderr);
    assert.deepEqual(await processesLeft(workDir), [], 'every spawned node has exited');
  });

  it('refuses a --spawn command without {config} in one line', async () => {
    const run = await gossip(['--spawn', 'my-gossip -c cfg.ini', '--nodes', '1']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^gossip: --spawn command must contain \{config\}/m);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });
});
