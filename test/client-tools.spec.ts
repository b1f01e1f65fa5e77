/**
 * gossip announce / subscribe / send-raw (runtime/cli/client-tools.ts) against a fake
 * API server that records the exact bytes (docs/protocol.md §3 layouts, one write per frame, §1),
 * and once end to end through our daemon.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GossipNotification } from '../generated/index.js';
import { ApiClient } from '../runtime/api/api-client.js';
import { describeNotification, parseHex } from '../runtime/cli/client-tools.js';
import { freePorts } from '../conformance/spawner.js';

const ROOT = new URL('../', import.meta.url).pathname;

interface Run { code: number | null; stdout: string; stderr: string }

function gossip(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [join(ROOT, 'bin/gossip.js'), ...args], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

/** A fake node: records what each client sends (chunks as they came) and lets the test reply. */
async function fakeNode(onConnection: (socket: net.Socket, received: Buffer[]) => void = () => undefined) {
  const received: Buffer[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    onConnection(socket, received);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    address,
    received,
    sockets,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

const until = async (check: () => boolean, ms = 5_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('client tools (gossip announce / subscribe / send-raw)', function () {
  this.timeout(30_000);

  it('announce sends exactly one ANNOUNCE frame, in one write (§1, §3)', async () => {
    const node = await fakeNode();
    try {
      const run = await gossip(['announce', '--api', node.address, '--type', '513', '--ttl', '3', 'hi']).done;
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(node.received.map((b) => b.toString('hex')), ['000a01f40300020168 69'.replace(/ /g, '')]);
    } finally {
      node.close();
    }
  });

  it('announce --hex takes the data as hex, and refuses a bad type in one line', async () => {
    const node = await fakeNode();
    try {
      const ok = await gossip(['announce', '--api', node.address, '-t', '1', '--hex', 'de ad']).done;
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(Buffer.concat(node.received).toString('hex'), '000a01f400000001dead');
      const bad = await gossip(['announce', '--api', node.address, '-t', '70000', 'x']).done;
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /--type must be an integer 0\.\.65535, got "70000"/);
    } finally {
      node.close();
    }
  });

  it('subscribe sends NOTIFY per type, prints each NOTIFICATION and answers valid=1, or valid=0 with --invalid', async () => {
    for (const [flag, validWord] of [[[], '0001'], [['--invalid'], '0000']] as const) {
      const node = await fakeNode();
      try {
        const tool = gossip(['subscribe', '--api', node.address, '-t', '7,8', '--count', '1', ...flag]);
        await until(() => Buffer.concat(node.received).length >= 16);
        assert.equal(Buffer.concat(node.received).toString('hex'), '000801f500000007' + '000801f500000008');
        node.sockets[0]!.write(GossipNotification.encode({ messageId: 0xbeef, dataType: 7, data: Buffer.from('hello') }));
        const run = await tool.done;
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /NOTIFICATION message_id=48879 data_type=7 bytes=5 data=68656c6c6f text="hello"/);
        assert.equal(Buffer.concat(node.received).subarray(16).toString('hex'), `000801f7beef${validWord}`);
      } finally {
        node.close();
      }
    }
  });

  it('subscribe reports a node that closes the connection, with a non-zero exit', async () => {
    const node = await fakeNode((socket) => setTimeout(() => socket.destroy(), 100));
    try {
      const run = await gossip(['subscribe', '--api', node.address, '-t', '7']).done;
      assert.equal(run.code, 1);
      assert.match(run.stderr, /^gossip: the node closed the connection/m);
    } finally {
      node.close();
    }
  });

  it('send-raw writes the bytes as given in one write and says whether the node closed', async () => {
    const node = await fakeNode((socket) => socket.once('data', () => socket.end()));
    try {
      const run = await gossip(['send-raw', '--api', node.address, '0004', '03e7']).done;
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(node.received.map((b) => b.toString('hex')), ['000403e7']);
      assert.match(run.stdout, /sent 4 bytes: 000403e7\nthe node closed the connection/);
    } finally {
      node.close();
    }
  });

  it('parses hex with spaces, colons and 0x, and names bad input', () => {
    assert.deepEqual([...parseHex('0x00 04:03e7')], [0, 4, 3, 0xe7]);
    assert.throws(() => parseHex('abc'), /not an even number of hex digits: "abc"/);
    assert.equal(describeNotification({ messageId: 1, dataType: 2, data: Uint8Array.from([0, 1]) }), 'NOTIFICATION message_id=1 data_type=2 bytes=2 data=0001');
  });

  it('announce reaches subscribe through our daemon', async () => {
    const [apiPort, p2pPort] = await freePorts(2);
    const dir = mkdtempSync(join(tmpdir(), 'client-tools-'));
    const config = join(dir, 'node.ini');
    writeFileSync(config, `[gossip]\ncache_size = 50\ndegree = 1\napi_address = 127.0.0.1:${apiPort}\np2p_address = 127.0.0.1:${p2pPort}\nlog_level = warn\n`);
    const daemon = gossip(['daemon', '-c', config]);
    try {
      const api = `127.0.0.1:${apiPort}`;
      await waitForPort(apiPort!);
      const subscriber = gossip(['subscribe', '--api', api, '-t', '4242', '-c', '1']);
      let stderr = '';
      subscriber.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await until(() => stderr.includes('subscribed'), 10_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const announced = await gossip(['announce', '--api', api, '-t', '4242', 'across the daemon']).done;
      assert.equal(announced.code, 0, announced.stderr);
      const run = await subscriber.done;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /data_type=4242 bytes=17 .*text="across the daemon"/);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.done;
    }
  });
});

/** Resolves once something accepts TCP connections on 127.0.0.1:`port` (10 s at most). */
async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const isOpen = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    }).catch(() => false);
    if (isOpen) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on port ${port}`);
}

describe('ApiClient (runtime/api-client.ts)', () => {
  it('frames on the byte stream: a NOTIFICATION split in 1-byte writes and two in one write all arrive (§1)', async () => {
    const frames = [1, 2, 3].map((messageId) => GossipNotification.encode({ messageId, dataType: 9, data: Buffer.from(`item ${messageId}`) }));
    const node = await fakeNode(async (socket) => {
      for (const byte of frames[0]!) {
        socket.write(Uint8Array.of(byte));
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      socket.write(Buffer.concat([frames[1]!, frames[2]!]));
    });
    const client = await ApiClient.connect(node.address);
    try {
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push((await client.nextNotification(2_000))?.messageId ?? -1);
      assert.deepEqual(ids, [1, 2, 3]);
      assert.equal(await client.nextNotification(50), null, 'a wait with nothing to read ends at its timeout');
    } finally {
      client.destroy();
      node.close();
    }
  });

  it('ends notifications() when the node closes, even with a stray non-NOTIFICATION frame left over', async () => {
    const node = await fakeNode((socket) => {
      socket.write(Buffer.concat([GossipNotification.encode({ messageId: 7, dataType: 9, data: Buffer.from('x') }), Buffer.from('000801f500000009', 'hex')]));
      setTimeout(() => socket.end(), 50);
    });
    const client = await ApiClient.connect(node.address);
    try {
      const seen: number[] = [];
      for await (const notification of client.notifications()) seen.push(notification.messageId);
      assert.deepEqual(seen, [7]);
      assert.equal(client.transport.pending().length, 1);
    } finally {
      client.destroy();
      node.close();
    }
  });

  it('names the address it could not reach in one line', async () => {
    const [port] = await freePorts(1);
    await assert.rejects(ApiClient.connect(`127.0.0.1:${port}`), new RegExp(`^Error: cannot connect to 127\\.0\\.0\\.1:${port}: ECONNREFUSED$`));
    await assert.rejects(ApiClient.connect('nowhere'), /bad address "nowhere": missing ":port"/);
  });
});
