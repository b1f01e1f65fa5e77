/**
 * A deliberately broken Gossip implementation, used ONLY by test/conformance/*.spec.ts to prove
 * that the conformance suite catches real bugs (a suite that passes everything must not slip
 * through). It implements the API (docs/protocol.md §3) correctly apart from the bugs switched on
 * by `broken_bugs = a,b` in [gossip]. Its P2P side (broken-p2p.ts) does the §4.2 handshake
 * and floods ANNOUNCE, without peer exchange; its own bugs are listed there.
 *
 * API bugs:
 * - `echo-to-announcer`: the announcing connection is notified of its own item (§3.1).
 * - `ignores-invalid`: a valid=0 answer counts as valid=1 (§3.1).
 * - `splits-frames`: every frame to API clients is written in two pieces (§1).
 * - `no-local-delivery`: other local subscribers are not notified of a local ANNOUNCE
 *   (§3.1; some real implementations do this).
 * - `closes-unsubscribed-announcer`: a connection that announces a type it has not
 *   subscribed to is closed (one real implementation does this).
 * - `wedges-on-largest-frame`: after an ANNOUNCE of the largest size (65535 bytes) the node
 *   stops reading every API connection, old and new (it still accepts them), as a node
 *   deadlocked on a frame it cannot forward would.
 * - `degree-as-fanout`: each item is pushed to `degree` random links instead of all of them
 *   (one real implementation reads `degree` so).
 *
 * Bugs are per node: the suite's `--set-node I:broken_bugs=…` switches one on one node only.
 *
 * Run: node --import tsx test/conformance/broken/broken-node.ts CONFIG.ini
 */
import { createHash, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import ini from 'ini';
import {
  decodeFrame,
  GossipAnnounce,
  GossipNotification,
  MAX_FRAME_SIZE,
  MessageType,
  type GossipAnnounce as Announce,
} from '../../../generated/index.js';
import { parseEndpoint } from '../../../runtime/api/api-client.js';
import { FrameReader } from '../../../runtime/core/framer.js';
import { runLink, type P2pBug, type P2pSettings } from './broken-p2p.js';

type Bug =
  | 'echo-to-announcer'
  | 'ignores-invalid'
  | 'splits-frames'
  | 'no-local-delivery'
  | 'closes-unsubscribed-announcer'
  | 'wedges-on-largest-frame'
  | 'degree-as-fanout'
  | P2pBug;

const configPath = process.argv[2];
if (!configPath) {
  process.stderr.write('usage: broken-node.ts CONFIG.ini\n');
  process.exit(2);
}
const section = (ini.parse(readFileSync(configPath, 'utf8')) as { gossip?: Record<string, string> }).gossip ?? {};
const bugs = new Set(
  String(section.broken_bugs ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as Bug[],
);
const validationTimeoutMs = Number(section.validation_timeout ?? 5) * 1000;
const degree = Number(section.degree ?? 1);
/** `wedges-on-largest-frame`: set once the node has read a 65535-byte ANNOUNCE. */
let isWedged = false;

interface ApiClientState {
  readonly socket: net.Socket;
  readonly types: Set<number>;
  /** message ID → item waiting for this client's answer */
  readonly pending: Map<number, PendingItem>;
  /** Ordered chain of writes (for `splits-frames`). */
  writes: Promise<void>;
}

interface PendingItem {
  readonly frame: Announce;
  readonly from: net.Socket;
  readonly waitingFor: Set<ApiClientState>;
  isDone: boolean;
  timer: NodeJS.Timeout;
}

const clients = new Set<ApiClientState>();
const peers = new Set<net.Socket>();
const seen = new Set<string>();

function itemKey(item: Announce): string {
  return createHash('sha256')
    .update(Buffer.from([item.dataType >> 8, item.dataType & 0xff]))
    .update(item.data)
    .digest('hex')
    .slice(0, 16);
}

function sendToClient(client: ApiClientState, frame: Uint8Array): void {
  if (!bugs.has('splits-frames')) {
    client.socket.write(frame);
    return;
  }
  // In order, but each frame in two writes a moment apart, as a careless sender might.
  client.writes = client.writes.then(async () => {
    client.socket.write(frame.subarray(0, 3));
    await new Promise((resolve) => setTimeout(resolve, 2));
    client.socket.write(frame.subarray(3));
  });
}

function notify(client: ApiClientState, item: Announce): number {
  let messageId = randomInt(0, 65_536);
  while (client.pending.has(messageId)) messageId = randomInt(0, 65_536);
  sendToClient(client, GossipNotification.encode({ messageId, dataType: item.dataType, data: item.data }));
  return messageId;
}

function pushToPeers(item: Announce, except: net.Socket | null): void {
  const frame = GossipAnnounce.encode(item);
  let targets = [...peers].filter((peer) => peer !== except);
  if (bugs.has('degree-as-fanout')) {
    // A random `degree` of them, as if degree were the push fanout.
    targets = targets
      .map((peer) => ({ peer, key: Math.random() }))
      .sort((a, b) => a.key - b.key)
      .slice(0, degree)
      .map((entry) => entry.peer);
  }
  for (const peer of targets) peer.write(frame);
}

function announceLocally(item: Announce, announcer: ApiClientState): void {
  const key = itemKey(item);
  if (seen.has(key)) return;
  seen.add(key);
  for (const client of clients) {
    if (!client.types.has(item.dataType)) continue;
    if (client === announcer && !bugs.has('echo-to-announcer')) continue;
    if (client !== announcer && bugs.has('no-local-delivery')) continue;
    notify(client, item);
  }
  pushToPeers(item, null);
}

function receiveFromPeer(item: Announce, from: net.Socket): void {
  const key = itemKey(item);
  if (seen.has(key)) return;
  seen.add(key);
  const subscribers = [...clients].filter((client) => client.types.has(item.dataType));
  if (subscribers.length === 0) return;
  const pending: PendingItem = {
    frame: item,
    from,
    waitingFor: new Set(subscribers),
    isDone: false,
    timer: setTimeout(() => (pending.isDone = true), validationTimeoutMs),
  };
  for (const client of subscribers) client.pending.set(notify(client, item), pending);
}

function answered(pending: PendingItem, client: ApiClientState, isValid: boolean): void {
  if (pending.isDone) return;
  pending.waitingFor.delete(client);
  if (!isValid && !bugs.has('ignores-invalid')) {
    pending.isDone = true;
    clearTimeout(pending.timer);
    return;
  }
  if (pending.waitingFor.size > 0) return;
  pending.isDone = true;
  clearTimeout(pending.timer);
  if (pending.frame.ttl === 1) return;
  pushToPeers({ ...pending.frame, ttl: pending.frame.ttl === 0 ? 0 : pending.frame.ttl - 1 }, pending.from);
}

function serveApi(socket: net.Socket): void {
  if (isWedged) return; // accepted, never read
  const client: ApiClientState = { socket, types: new Set(), pending: new Map(), writes: Promise.resolve() };
  clients.add(client);
  const reader = new FrameReader();
  const drop = (): void => {
    clients.delete(client);
    for (const pending of client.pending.values()) {
      if (pending.waitingFor.has(client)) answered(pending, client, true);
    }
    socket.destroy();
  };
  socket.on('close', drop);
  socket.on('error', drop);
  socket.on('data', (chunk: Buffer) => {
    if (isWedged) return;
    try {
      for (const bytes of reader.push(chunk)) {
        const frame = decodeFrame(bytes);
        if (
          frame.type === MessageType.GOSSIP_ANNOUNCE &&
          bugs.has('wedges-on-largest-frame') &&
          bytes.length === MAX_FRAME_SIZE
        ) {
          isWedged = true;
          return;
        }
        if (
          frame.type === MessageType.GOSSIP_ANNOUNCE &&
          bugs.has('closes-unsubscribed-announcer') &&
          !client.types.has(frame.message.dataType)
        ) {
          throw new Error('announce of a type this connection did not subscribe to');
        }
        if (frame.type === MessageType.GOSSIP_ANNOUNCE) announceLocally(frame.message, client);
        else if (frame.type === MessageType.GOSSIP_NOTIFY) client.types.add(frame.message.dataType);
        else if (frame.type === MessageType.GOSSIP_VALIDATION) {
          const pending = client.pending.get(frame.message.messageId);
          client.pending.delete(frame.message.messageId);
          if (pending) answered(pending, client, frame.message.valid);
        } else throw new Error(`type ${frame.type} not allowed`);
      }
    } catch {
      drop();
    }
  });
}

const api = parseEndpoint(String(section.api_address));
const p2p = parseEndpoint(String(section.p2p_address));
net.createServer(serveApi).listen(api.port, api.host);
const p2pSettings: P2pSettings = {
  bugs,
  powDifficulty: Number(section.pow_difficulty ?? 4),
  verificationTimeoutMs: Number(section.verification_timeout ?? 5) * 1000,
  listenPort: p2p.port,
  onAnnounce: receiveFromPeer,
  onActive: (socket) => peers.add(socket),
  onClosed: (socket) => peers.delete(socket),
};
net.createServer((socket) => runLink(socket, false, p2pSettings)).listen(p2p.port, p2p.host);
if (section.bootstrapper) {
  const bootstrapper = parseEndpoint(String(section.bootstrapper));
  const dial = (): void => {
    const socket = net.connect(bootstrapper.port, bootstrapper.host, () => {
      socket.removeAllListeners('error');
      runLink(socket, true, p2pSettings);
    });
    socket.once('error', () => setTimeout(dial, 200));
  };
  dial();
}
process.on('SIGTERM', () => process.exit(0));
