import assert from 'node:assert/strict';
import { request } from 'node:http';
import { MessageType } from '../generated/index.js';
import { GossipMetrics, type StopMetrics } from '../runtime/metrics.js';

interface HttpReply {
  status: number;
  contentType: string;
  body: string;
}

function httpGet(port: number, path: string, method = 'GET', freshConnection = false): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, ...(freshConnection ? { agent: false } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type']),
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The value of one sample line, e.g. `gossip_items_dropped_total{reason="x"} 2`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GossipMetrics', () => {
  let metrics: GossipMetrics;
  let stop: StopMetrics;
  beforeEach(async () => {
    metrics = new GossipMetrics();
    stop = await metrics.serve({ host: '127.0.0.1', port: 0, family: 4 });
  });
  afterEach(() => stop());

  it('serves counters by server, type and reason at GET /metrics over HTTP', async () => {
    metrics.frameIn('api', MessageType.GOSSIP_ANNOUNCE, 72);
    metrics.frameIn('api', MessageType.GOSSIP_ANNOUNCE, 40);
    metrics.frameIn('p2p', MessageType.GOSSIP_HELLO, 8);
    metrics.frameOut('api', MessageType.GOSSIP_NOTIFICATION);
    metrics.malformed('api', 'size-too-small');
    metrics.dropped('p2p', 'receive-queue-full');
    const reply = await httpGet(stop.port, '/metrics');
    assert.equal(reply.status, 200);
    assert.match(reply.contentType, /^text\/plain; version=0\.0\.4/);
    assert.equal(
      sample(reply.body, `gossip_frames_received_total{server="api",type="${MessageType.GOSSIP_ANNOUNCE}"}`),
      2,
    );
    assert.equal(
      sample(reply.body, `gossip_frames_received_total{server="p2p",type="${MessageType.GOSSIP_HELLO}"}`),
      1,
    );
    assert.equal(
      sample(reply.body, `gossip_frame_bytes_received_total{server="api",type="${MessageType.GOSSIP_ANNOUNCE}"}`),
      112,
    );
    assert.equal(
      sample(reply.body, `gossip_frames_sent_total{server="api",type="${MessageType.GOSSIP_NOTIFICATION}"}`),
      1,
    );
    assert.equal(sample(reply.body, 'gossip_malformed_closes_total{server="api",reason="size-too-small"}'), 1);
    assert.equal(sample(reply.body, 'gossip_frames_dropped_total{server="p2p",reason="receive-queue-full"}'), 1);
  });

  it('counts each item event in its own series, duplicates by source and drops by reason', async () => {
    for (const event of ['announced', 'received', 'received', 'delivered', 'invalid', 'forwarded'] as const)
      metrics.item(event);
    metrics.item('duplicate', 'peer');
    metrics.item('dropped', 'validation-timeout');
    metrics.item('dropped', 'validation-timeout');
    const body = (await httpGet(stop.port, '/metrics')).body;
    assert.equal(sample(body, 'gossip_items_announced_total'), 1);
    assert.equal(sample(body, 'gossip_items_received_total'), 2);
    assert.equal(sample(body, 'gossip_items_delivered_total'), 1);
    assert.equal(sample(body, 'gossip_items_invalid_total'), 1);
    assert.equal(sample(body, 'gossip_items_forwarded_total'), 1);
    assert.equal(sample(body, 'gossip_items_duplicate_total{source="peer"}'), 1);
    assert.equal(sample(body, 'gossip_items_dropped_total{reason="validation-timeout"}'), 2);
  });

  it('samples receive-queue depths at scrape time and exports peer gauges', async () => {
    let depth = 3;
    metrics.watchQueues(() => ({ api: depth, p2p: 7 }));
    metrics.watchQueues(() => ({ api: 11 }), 'send');
    metrics.peers.set({ state: 'active' }, 5);
    let body = (await httpGet(stop.port, '/metrics')).body;
    assert.equal(sample(body, 'gossip_queue_depth{server="api",queue="receive"}'), 3);
    assert.equal(sample(body, 'gossip_queue_depth{server="p2p",queue="receive"}'), 7);
    assert.equal(sample(body, 'gossip_queue_depth{server="api",queue="send"}'), 11);
    assert.equal(sample(body, 'gossip_peers{state="active"}'), 5);
    depth = 0;
    body = (await httpGet(stop.port, '/metrics')).body;
    assert.equal(sample(body, 'gossip_queue_depth{server="api",queue="receive"}'), 0);
  });

  it('exports process metrics such as event-loop lag', async () => {
    const body = (await httpGet(stop.port, '/metrics')).body;
    assert.match(body, /^nodejs_eventloop_lag_seconds /m);
  });

  it('answers 404 off /metrics and 405 for other methods', async () => {
    assert.equal((await httpGet(stop.port, '/')).status, 404);
    assert.equal((await httpGet(stop.port, '/metrics', 'POST')).status, 405);
    assert.equal((await httpGet(stop.port, '/metrics?x=1')).status, 200);
  });

  it('keeps the counters of two daemons in one process apart', async () => {
    const other = new GossipMetrics({ processMetrics: false });
    other.frameIn('api', MessageType.GOSSIP_NOTIFY, 8);
    metrics.frameIn('api', MessageType.GOSSIP_VALIDATION, 8);
    const mine = await metrics.text();
    const theirs = await other.text();
    assert.equal(
      sample(mine, `gossip_frames_received_total{server="api",type="${MessageType.GOSSIP_NOTIFY}"}`),
      undefined,
    );
    assert.equal(sample(theirs, `gossip_frames_received_total{server="api",type="${MessageType.GOSSIP_NOTIFY}"}`), 1);
    assert.equal(
      sample(theirs, `gossip_frames_received_total{server="api",type="${MessageType.GOSSIP_VALIDATION}"}`),
      undefined,
    );
    assert.doesNotMatch(theirs, /nodejs_eventloop_lag_seconds/);
  });

  it('stops listening when the returned function is called, even with a kept-alive scraper', async () => {
    await httpGet(stop.port, '/metrics');
    const port = stop.port;
    await stop();
    await assert.rejects(httpGet(port, '/metrics', 'GET', true), /ECONNREFUSED/);
    stop = await metrics.serve({ host: '127.0.0.1', port: 0, family: 4 }); // for afterEach
  });

  it('rejects when the address is taken', async () => {
    await assert.rejects(
      new GossipMetrics({ processMetrics: false }).serve({ host: '127.0.0.1', port: stop.port, family: 4 }),
      /EADDRINUSE/,
    );
  });
});
