/** API clients of in-process daemons, as the multi-node tests use them. */
import assert from 'node:assert/strict';
import { ApiClient } from '../../runtime/api/api-client.js';
import type { Daemon } from '../../runtime/daemon.js';
import { waitFor } from './wait-for.js';

export interface Subscriber {
  readonly client: ApiClient;
  /** The data of every NOTIFICATION received so far, in order. */
  readonly received: Buffer[];
}

export function apiOf(daemon: Daemon | null): string {
  assert.ok(daemon, 'node is running');
  const host = daemon.api.address.includes(':') ? `[${daemon.api.address}]` : daemon.api.address;
  return `${host}:${daemon.api.port}`;
}

/**
 * Subscribes to `dataType` at `daemon`, records every notification and answers it with
 * `valid`. Resolves once the daemon has handled the NOTIFY (it lists this connection among
 * the type's subscribers), so an item announced next is delivered.
 */
export async function subscribe(daemon: Daemon | null, dataType: number, valid = true): Promise<Subscriber> {
  const client = await ApiClient.connect(apiOf(daemon));
  client.notify(dataType);
  const port = client.transport.socket.localPort;
  await waitFor(
    () =>
      [...daemon!.handler.local.subscriptions.subscribers(dataType)].some(
        (connection) => connection.remotePort === port,
      ),
    `the daemon to handle NOTIFY ${dataType}`,
  );
  const received: Buffer[] = [];
  void (async () => {
    for await (const notification of client.notifications()) {
      received.push(Buffer.from(notification.data));
      client.validate(notification.messageId, valid);
    }
  })();
  return { client, received };
}
