/**
 * Running out of file descriptors is visible (docs/protocol.md §7.5): a daemon started
 * under `ulimit -n 64` is flooded with connections until accept fails with EMFILE (libuv
 * then closes the pending connections itself, silently). It logs
 * that (rate-limited: a handful of lines, not one per refused connection), counts it, keeps
 * serving the clients it already had, and accepts again once descriptors free up.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../runtime/api/api-client.js';
import { freePorts, sleep } from '../support/daemon-process.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DESCRIPTOR_LIMIT = 64;
const HOGS = 120;
const DATA_TYPE = 9_001;

function metricsText(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`http://127.0.0.1:${port}/metrics`, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (text: string) => (body += text));
      response.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** A connection that is held open; resolves once connected or refused. */
function hog(port: number): Promise<net.Socket> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.once('connect', () => resolve(socket));
    socket.once('close', () => resolve(socket));
  });
}

async function connectWithin(port: number, ms: number): Promise<ApiClient> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await ApiClient.connect({ host: '127.0.0.1', port });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

describe('out of file descriptors (docs/protocol.md §7.5)', function () {
  this.timeout(60_000);
  let child: ChildProcess;
  let output = '';
  let workDir: string;
  let apiPort: number;
  let metricsPort: number;

  before(async () => {
    const [api, p2p, metrics] = await freePorts(3);
    apiPort = api!;
    metricsPort = metrics!;
    workDir = mkdtempSync(join(tmpdir(), 'gossip-emfile-'));
    const config = join(workDir, 'config.ini');
    writeFileSync(
      config,
      ['[gossip]', `api_address = 127.0.0.1:${api}`, `p2p_address = 127.0.0.1:${p2p}`, `metrics_address = 127.0.0.1:${metrics}`,
        'cache_size = 50', 'degree = 4', 'pow_difficulty = 0', 'validation_timeout = 5', 'verification_timeout = 5', 'rejoin_interval = 0', 'log_level = info', ''].join('\n'),
    );
    child = spawn('bash', ['-c', `ulimit -n ${DESCRIPTOR_LIMIT}; exec "${process.execPath}" bin/gossip.js daemon -c "${config}"`], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
    const deadline = Date.now() + 20_000;
    while (!output.includes('gossip daemon listening')) {
      assert.ok(child.exitCode === null, `the daemon exited: ${output}`);
      assert.ok(Date.now() < deadline, `the daemon did not start: ${output}`);
      await sleep(100);
    }
  });

  after(() => {
    child.kill('SIGKILL');
    rmSync(workDir, { recursive: true, force: true });
  });

  it('logs and counts EMFILE, keeps serving existing clients, and recovers', async () => {
    const subscriber = await connectWithin(apiPort, 5_000);
    const announcer = await connectWithin(apiPort, 5_000);
    subscriber.notify(DATA_TYPE);
    await sleep(100);

    const hogs = await Promise.all(Array.from({ length: HOGS }, () => hog(apiPort)));
    await sleep(1_500); // the watch looks once a second
    const refusals = output.split('\n').filter((line) => line.includes('out of file descriptors'));
    assert.ok(refusals.length >= 1, `nothing logged about running out of descriptors: ${output.slice(-2_000)}`);
    assert.ok(refusals.length <= 3, `not rate-limited: ${refusals.length} lines`);

    // Existing clients are still served.
    announcer.announce({ ttl: 1, dataType: DATA_TYPE, data: Buffer.from('while exhausted') });
    const notification = await subscriber.nextNotification(3_000);
    assert.ok(notification, 'an existing subscriber was not served while descriptors ran out');

    // Descriptors free up: new connections are accepted again.
    for (const socket of hogs) socket.destroy();
    await sleep(300);
    const late = await connectWithin(apiPort, 5_000);
    late.notify(DATA_TYPE + 1);
    await sleep(100);
    announcer.announce({ ttl: 1, dataType: DATA_TYPE + 1, data: Buffer.from('after recovery') });
    assert.ok(await late.nextNotification(3_000), 'a new client was not served after descriptors freed up');

    const text = await metricsText(metricsPort);
    const counted = /^gossip_descriptors_exhausted_total (\d+)/m.exec(text);
    assert.ok(counted && Number(counted[1]) > 0, 'running out of descriptors was not counted');
    for (const client of [subscriber, announcer, late]) client.destroy();
    assert.equal(child.exitCode, null, 'the daemon died');
  });
});
