/**
 * GossipSub on the bench:net workload, started by bench/net/gossipsub-runner.ts:
 *
 *   node --import tsx bench/gossipsub/src/run.ts JOB.json
 *
 * Starts the nodes (all in this process, or one process each), dials the job's overlay, waits
 * for the mesh, sends a warm-up item, then publishes the items at the job's pace and collects
 * every delivery. Progress goes to stderr; the result (GossipsubResult) is stdout's last line.
 */
import './polyfill.js';
import { readFileSync } from 'node:fs';
import { emptyCounts, type GossipsubCounts, type GossipsubJob, type GossipsubResult } from '../../net/gossipsub-job.js';
import { startChildNode, startLocalNode, type NodeHandle } from './handles.js';
import type { NodeStatus } from './node.js';

const WARM_UP_TAG = 1;
const RUN_TAG = 2;
/** GossipSub's default Dlo: the mesh counts as formed when every node has this many (or all its links). */
const MESH_LOW = 4;
/** GossipSub's heartbeat (1 s by default) changes the mesh: polled at that pace. */
const POLL_MS = 1_000;
const MESH_STABLE_POLLS = 3;
/** Copies still in flight after the last delivery (IHAVE/IWANT rounds take a heartbeat). */
const SETTLE_MS = 1_200;

const job = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as GossipsubJob;
const name = `gossipsub ${job.mode} N=${job.nodes} D=${job.meshDegree ?? 'default'}`;
const progress = (line: string): void => void process.stderr.write(`[bench:net] ${name}: ${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Per node: item number → delivery time, for the run tag in force. */
const received = Array.from({ length: job.nodes }, () => new Map<number, number>());
let currentTag = 0;
let repeated = 0;

function onDeliveryAt(index: number): (tag: number, n: number) => void {
  return (tag, n) => {
    if (tag !== currentTag) return;
    const map = received[index]!;
    if (map.has(n)) repeated++;
    else map.set(n, performance.now());
  };
}

async function inBatches<T>(items: readonly T[], size: number, each: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += size)
    await Promise.all(items.slice(start, start + size).map(each));
}

async function startNodes(): Promise<NodeHandle[]> {
  const start = job.mode === 'in-process' ? startLocalNode : startChildNode;
  const handles: NodeHandle[] = new Array<NodeHandle>(job.nodes);
  const indexes = Array.from({ length: job.nodes }, (_, i) => i);
  await inBatches(indexes, job.mode === 'in-process' ? 1 : 4, async (i) => {
    handles[i] = await start(job.meshDegree, onDeliveryAt(i));
  });
  return handles;
}

/** Polls every node's status until `done` holds on `polls` polls running (or the job's mesh timeout). */
async function waitUntil(
  handles: NodeHandle[],
  what: string,
  done: (status: NodeStatus[], previous: NodeStatus[] | null) => boolean,
  polls: number,
): Promise<NodeStatus[]> {
  const started = performance.now();
  let [held, previous] = [0, null as NodeStatus[] | null];
  for (;;) {
    const status = await Promise.all(handles.map((h) => h.status()));
    held = done(status, previous) ? held + 1 : 0;
    previous = status;
    const timedOut = performance.now() - started > job.meshTimeoutMs;
    if (held >= polls || timedOut) {
      progress(
        `${what}${timedOut ? ': NOT within the time allowed' : ''} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
      );
      return status;
    }
    await sleep(POLL_MS);
  }
}

/**
 * The topic is joined once every node speaks GossipSub with all its links, so that the first
 * heartbeats see every peer; the mesh then counts as formed when every node holds Dlo mesh
 * peers (or all its links) and no mesh changed over MESH_STABLE_POLLS polls a heartbeat apart.
 */
async function formMesh(handles: NodeHandle[]): Promise<NodeStatus[]> {
  await waitUntil(handles, 'every link speaks GossipSub', (s) => s.every((n) => n.pubsubPeers >= n.connections), 1);
  await Promise.all(handles.map((h) => h.subscribe()));
  const status = await waitUntil(
    handles,
    'mesh formed and stable',
    (now, before) =>
      now.every((n, i) => n.meshPeers >= Math.min(MESH_LOW, n.connections) && n.meshPeers === before?.[i]?.meshPeers),
    MESH_STABLE_POLLS,
  );
  progress(`mesh peers per node: ${status.map((n) => n.meshPeers).join(' ')}`);
  return status;
}

async function warmUp(handles: NodeHandle[]): Promise<number> {
  currentTag = WARM_UP_TAG;
  let reach = 0;
  for (let attempt = 0; attempt < 2 && reach < job.nodes; attempt++) {
    await handles[0]!.publish(WARM_UP_TAG, attempt, job.payloadBytes);
    const deadline = performance.now() + job.warmUpTimeoutMs;
    const reached = (): number => received.filter((map) => map.has(attempt)).length;
    while (reached() < job.nodes && performance.now() < deadline) await sleep(20);
    reach = reached();
    progress(`warm-up item reached ${reach}/${job.nodes} subscribers`);
  }
  return reach;
}

function sum(counts: GossipsubCounts[]): GossipsubCounts {
  const total = emptyCounts();
  for (const c of counts) for (const key of Object.keys(total) as (keyof GossipsubCounts)[]) total[key] += c[key];
  return total;
}

function difference(after: GossipsubCounts[], before: GossipsubCounts[]): GossipsubCounts {
  const delta = sum(after);
  const start = sum(before);
  for (const key of Object.keys(delta) as (keyof GossipsubCounts)[]) delta[key] -= start[key];
  // In one process every node reports the same process's CPU time: count it once.
  if (job.mode === 'in-process') delta.cpuMs = after[0]!.cpuMs - before[0]!.cpuMs;
  return delta;
}

async function run(handles: NodeHandle[]): Promise<GossipsubResult> {
  const started = performance.now();
  progress(`dialing ${job.edges.length} links`);
  await inBatches(job.edges, 8, async ([from, to]) => handles[from]!.dial(handles[to]!.address));
  const formed = await formMesh(handles);
  const warmUpReach = await warmUp(handles);
  await sleep(SETTLE_MS);
  const before = await Promise.all(handles.map((h) => h.counts()));
  currentTag = RUN_TAG;
  for (const map of received) map.clear();
  repeated = 0;
  let publishErrors = 0;
  const publishedAt: number[] = [];
  const runStarted = performance.now();
  for (let n = 0; n < job.publishers.length; n++) {
    await sleep(runStarted + n * job.intervalMs - performance.now());
    publishedAt.push(performance.now());
    void handles[job.publishers[n]!]!.publish(RUN_TAG, n, job.payloadBytes).then((ok) => {
      if (!ok) publishErrors++;
    });
    if ((n + 1) % 25 === 0) progress(`published ${n + 1}/${job.publishers.length}`);
  }
  const expected = job.publishers.length * job.nodes;
  const delivered = (): number => received.reduce((total, map) => total + map.size, 0);
  const deadline = performance.now() + job.deliveryTimeoutMs;
  while (delivered() < expected && performance.now() < deadline) await sleep(20);
  await sleep(SETTLE_MS);
  const after = await Promise.all(handles.map((h) => h.counts()));
  const end = await Promise.all(handles.map((h) => h.status()));
  progress(
    `at the end: links per node ${end.map((n) => n.connections).join(' ')}; mesh peers ${end.map((n) => n.meshPeers).join(' ')}`,
  );
  return {
    items: job.publishers.length,
    subscribers: job.nodes,
    deliveries: delivered(),
    repeatedNotifications: repeated,
    latenciesByItem: publishedAt.map((at, n) =>
      received
        .map((map) => map.get(n))
        .filter((t): t is number => t !== undefined)
        .map((t) => t - at)
        .sort((a, b) => a - b),
    ),
    links: formed.map((n) => n.connections),
    meshPeers: formed.map((n) => n.meshPeers),
    meshPeersAtEnd: end.map((n) => n.meshPeers),
    warmUpReach,
    publishErrors,
    counts: difference(after, before),
    seconds: (performance.now() - started) / 1000,
  };
}

progress(`starting ${job.nodes} nodes`);
const handles = await startNodes();
try {
  const result = await run(handles);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
}
process.exit(0);
