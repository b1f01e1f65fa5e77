/**
 * The runner's view of a node, wherever it lives: in the runner's own process (all N nodes
 * on one thread, like bench:net's in-process daemons) or in a process of its own.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GossipsubCounts } from '../../net/gossipsub-job.js';
import { BenchNode, type NodeStatus, type OnDelivery } from './node.js';
import type { Event, Request } from './node-process.js';

export interface NodeHandle {
  readonly address: string;
  dial(address: string): Promise<void>;
  subscribe(): Promise<void>;
  publish(tag: number, n: number, bytes: number): Promise<boolean>;
  status(): Promise<NodeStatus>;
  counts(): Promise<GossipsubCounts>;
  close(): Promise<void>;
}

export async function startLocalNode(meshDegree: number | null, onDelivery: OnDelivery): Promise<NodeHandle> {
  const node = await BenchNode.start(meshDegree, onDelivery);
  return {
    address: node.address,
    dial: (address) => node.dial(address),
    subscribe: () => Promise.resolve(node.subscribe()),
    publish: (tag, n, bytes) => node.publish(tag, n, bytes),
    status: () => Promise.resolve(node.status()),
    counts: () => Promise.resolve(node.snapshot()),
    close: () => node.close(),
  };
}

const NODE_PROCESS = fileURLToPath(new URL('./node-process.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;

/** A request without its id (Omit applied to each member of the union). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Command = WithoutId<Request>;

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

export async function startChildNode(meshDegree: number | null, onDelivery: OnDelivery): Promise<NodeHandle> {
  // tsx runs the TypeScript child as it runs this process.
  const child: ChildProcess = fork(NODE_PROCESS, [JSON.stringify(meshDegree)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('a GossipSub node process did not start')), START_TIMEOUT_MS);
    child.once('exit', (code) => reject(new Error(`a GossipSub node process exited (${code}) while starting`)));
    child.on('message', (event: Event) => {
      if (event.event === 'ready') {
        clearTimeout(timer);
        resolve(event.address);
      } else if (event.event === 'delivered') {
        onDelivery(event.tag, event.n);
      } else {
        const waiting = pending.get(event.id);
        pending.delete(event.id);
        if (event.error !== undefined) waiting?.reject(new Error(event.error));
        else waiting?.resolve(event.value);
      }
    });
  });
  child.on('exit', () => {
    for (const waiting of pending.values()) waiting.reject(new Error('the GossipSub node process exited'));
    pending.clear();
  });
  const ask = <T>(request: Command): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ ...request, id });
    });
  return {
    address,
    dial: (to) => ask({ cmd: 'dial', address: to }),
    subscribe: () => ask({ cmd: 'subscribe' }),
    publish: (tag, n, bytes) => ask({ cmd: 'publish', tag, n, bytes }),
    status: () => ask({ cmd: 'status' }),
    counts: () => ask({ cmd: 'counts' }),
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await ask({ cmd: 'close' }).catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
