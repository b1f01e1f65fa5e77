/**
 * One GossipSub node in a process of its own, driven by its parent over the IPC channel
 * (bench/gossipsub/src/handles.ts): requests carry an id and are answered with it; every item
 * the node's subscriber gets is reported at once as a `delivered` event.
 *
 *   fork(node-process.ts, [JSON meshDegree])
 */
import './polyfill.js';
import { BenchNode } from './node.js';

export type Request =
  | { readonly id: number; readonly cmd: 'dial'; readonly address: string }
  | { readonly id: number; readonly cmd: 'publish'; readonly tag: number; readonly n: number; readonly bytes: number }
  | { readonly id: number; readonly cmd: 'subscribe' | 'status' | 'counts' | 'close' };

export type Event =
  | { readonly event: 'ready'; readonly address: string }
  | { readonly event: 'delivered'; readonly tag: number; readonly n: number }
  | { readonly event: 'reply'; readonly id: number; readonly value?: unknown; readonly error?: string };

const send = (event: Event): void => void process.send?.(event);

async function answer(node: BenchNode, request: Request): Promise<unknown> {
  switch (request.cmd) {
    case 'dial':
      return node.dial(request.address);
    case 'publish':
      return node.publish(request.tag, request.n, request.bytes);
    case 'subscribe':
      return node.subscribe();
    case 'status':
      return node.status();
    case 'counts':
      return node.snapshot();
    case 'close':
      await node.close();
      setImmediate(() => process.exit(0));
      return null;
  }
}

const meshDegree = JSON.parse(process.argv[2] ?? 'null') as number | null;
const node = await BenchNode.start(meshDegree, (tag, n) => send({ event: 'delivered', tag, n }));
process.on('message', (request: Request) => {
  answer(node, request).then(
    (value) => send({ event: 'reply', id: request.id, value }),
    (error: unknown) => send({ event: 'reply', id: request.id, error: String(error) }),
  );
});
// The parent went away (killed, crashed): nothing left to measure.
process.on('disconnect', () => process.exit(0));
send({ event: 'ready', address: node.address });
