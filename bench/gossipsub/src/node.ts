/**
 * One js-libp2p node running GossipSub as bench:net measures it: TCP on 127.0.0.1, noise,
 * yamux, identify (GossipSub learns who speaks its protocol from it), library defaults but
 * for the pitfalls of a loopback bench on few cores (see below). Counts every RPC it receives.
 */
import './polyfill.js';
import { gossipsub } from '@chainsafe/libp2p-gossipsub';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import type { Message, PubSub } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p, type Libp2p } from 'libp2p';
import { emptyCounts, type GossipsubCounts } from '../../net/gossipsub-job.js';

export const TOPIC = 'bench-net';

/** The fields of a received RPC that are counted (the library does not export its RPC type). */
interface Rpc {
  readonly subscriptions?: readonly unknown[];
  readonly messages?: readonly RpcMessage[];
  readonly control?: {
    readonly ihave?: readonly { readonly messageIDs: readonly Uint8Array[] }[];
    readonly iwant?: readonly { readonly messageIDs: readonly Uint8Array[] }[];
    readonly graft?: readonly unknown[];
    readonly prune?: readonly unknown[];
    readonly idontwant?: readonly unknown[];
  };
}

interface RpcMessage {
  readonly from?: Uint8Array;
  readonly data?: Uint8Array;
  readonly seqno?: Uint8Array;
  readonly topic?: string;
  readonly signature?: Uint8Array;
  readonly key?: Uint8Array;
}

export interface NodeStatus {
  readonly connections: number;
  readonly pubsubPeers: number;
  readonly meshPeers: number;
}

/** Called with (run tag, item number) for each item this node's subscriber gets. */
export type OnDelivery = (tag: number, item: number) => void;

export class BenchNode {
  private readonly counts: GossipsubCounts = emptyCounts();
  /** Items this node has, as tag × 2^32 + item: a copy of one of these is a duplicate. */
  private readonly has = new Set<number>();

  private constructor(private readonly libp2p: Libp2p<{ pubsub: PubSub }>) {}

  static async start(meshDegree: number | null, onDelivery: OnDelivery): Promise<BenchNode> {
    const libp2p = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      // Every dial comes from 127.0.0.1: the default per-host inbound rate limit would refuse most.
      connectionManager: { maxConnections: 1_000, inboundConnectionThreshold: 1e6, maxIncomingPendingConnections: 1e3 },
      // The monitor closes a link whose ping is late: with a whole network on one or two
      // overloaded cores that tears the overlay down mid-run. The overlay under measurement is
      // fixed, as ours is (rotation off).
      connectionMonitor: { enabled: false },
      services: {
        identify: identify(),
        pubsub: gossipsub({
          // The publisher's own subscriber gets the item too, as a local module of ours does.
          emitSelf: true,
          ...(meshDegree === null ? {} : { D: meshDegree }),
          // Every node shares one IP: the colocation penalty would push all scores below the
          // graylist threshold and collapse the mesh.
          scoreParams: { IPColocationFactorWeight: 0, IPColocationFactorWhitelist: new Set(['127.0.0.1']) },
        }),
      },
    });
    const node = new BenchNode(libp2p);
    const pubsub = libp2p.services.pubsub;
    // The library counts RPCs through its optional metrics object: ours counts only onRpcRecv.
    (pubsub as unknown as { metrics: unknown }).metrics = countingMetrics((rpc, bytes) => node.received(rpc, bytes));
    pubsub.addEventListener('message', (event: CustomEvent<Message>) => {
      if (event.detail.topic !== TOPIC || event.detail.data.length < 8) return;
      const view = Buffer.from(event.detail.data.buffer, event.detail.data.byteOffset, 8);
      onDelivery(view.readUInt32BE(0), view.readUInt32BE(4));
    });
    return node;
  }

  /** Joins the topic: done once the overlay is dialed, so that the first heartbeats see every peer. */
  subscribe(): void {
    this.libp2p.services.pubsub.subscribe(TOPIC);
  }

  /** The address others dial, with this node's peer id. */
  get address(): string {
    const address = this.libp2p.getMultiaddrs()[0];
    if (!address) throw new Error('the node listens nowhere');
    return address.toString();
  }

  async dial(address: string): Promise<void> {
    await this.libp2p.dial(multiaddr(address));
  }

  /** Publishes item (tag, n) of `bytes` bytes; false when the library refused it. */
  async publish(tag: number, n: number, bytes: number): Promise<boolean> {
    const data = Buffer.alloc(Math.max(bytes, 8), 0x2e);
    data.writeUInt32BE(tag, 0);
    data.writeUInt32BE(n, 4);
    this.has.add(tag * 2 ** 32 + n);
    try {
      await this.libp2p.services.pubsub.publish(TOPIC, data);
      return true;
    } catch {
      return false;
    }
  }

  /** Connected peers, peers GossipSub speaks with (identify done, streams open), mesh peers. */
  status(): NodeStatus {
    const pubsub = this.libp2p.services.pubsub as unknown as PubSub & { getMeshPeers(topic: string): string[] };
    return {
      connections: this.libp2p.getPeers().length,
      pubsubPeers: pubsub.getPeers().length,
      meshPeers: pubsub.getMeshPeers(TOPIC).length,
    };
  }

  /** Counts so far; cpuMs is the whole process's. */
  snapshot(): GossipsubCounts {
    const cpu = process.cpuUsage();
    return { ...this.counts, cpuMs: (cpu.user + cpu.system) / 1000 };
  }

  async close(): Promise<void> {
    await this.libp2p.stop();
  }

  private received(rpc: Rpc, bytes: number): void {
    const counts = this.counts;
    counts.rpcs++;
    counts.rpcBytes += bytes;
    counts.subscriptions += rpc.subscriptions?.length ?? 0;
    for (const message of rpc.messages ?? []) {
      counts.messageBytes += field(messageSize(message));
      if (message.topic !== TOPIC || !message.data || message.data.length < 8) continue;
      const view = Buffer.from(message.data.buffer, message.data.byteOffset, 8);
      const key = view.readUInt32BE(0) * 2 ** 32 + view.readUInt32BE(4);
      counts.copies++;
      if (this.has.has(key)) counts.duplicates++;
      else this.has.add(key);
    }
    const control = rpc.control;
    if (!control) return;
    counts.ihave += control.ihave?.length ?? 0;
    counts.iwant += control.iwant?.length ?? 0;
    counts.graft += control.graft?.length ?? 0;
    counts.prune += control.prune?.length ?? 0;
    counts.idontwant += control.idontwant?.length ?? 0;
    counts.ihaveIds += (control.ihave ?? []).reduce((sum, entry) => sum + entry.messageIDs.length, 0);
    counts.iwantIds += (control.iwant ?? []).reduce((sum, entry) => sum + entry.messageIDs.length, 0);
  }
}

/** Bytes of a length-delimited protobuf field of `length` bytes: tag, varint length, body. */
function field(length: number): number {
  let varint = 1;
  for (let rest = length; rest >= 0x80; rest = Math.floor(rest / 0x80)) varint++;
  return 1 + varint + length;
}

/** Encoded size of one RPC.Message (all its fields are length-delimited). */
function messageSize(message: RpcMessage): number {
  const parts = [message.from, message.data, message.seqno, message.signature, message.key];
  const topic = message.topic === undefined ? 0 : field(Buffer.byteLength(message.topic));
  return parts.reduce((sum, part) => sum + (part ? field(part.length) : 0), topic);
}

/** A metrics object whose every member is a no-op but `onRpcRecv(rpc, bytes)`. */
function countingMetrics(onRpcRecv: (rpc: Rpc, bytes: number) => void): unknown {
  const ignore: unknown = new Proxy(() => ignore, { get: (_target, key) => (key === 'then' ? undefined : ignore) });
  return new Proxy({}, { get: (_target, key) => (key === 'onRpcRecv' ? onRpcRecv : ignore) });
}
