/** ApiClient (runtime/api/api-client.ts) against a fake API node: framing on the byte stream, closes, errors. */
import assert from 'node:assert/strict';
import { GossipNotification } from '../../generated/index.js';
import { ApiClient } from '../../runtime/api/api-client.js';
import { fakeApiNode as fakeNode } from '../support/fake-api-node.js';

describe('ApiClient (runtime/api/api-client.ts)', () => {
  it('frames on the byte stream: a NOTIFICATION split in 1-byte writes and two in one write all arrive (§1)', async () => {
    const frames = [1, 2, 3].map((messageId) =>
      GossipNotification.encode({ messageId, dataType: 9, data: Buffer.from(`item ${messageId}`) }),
    );
    const node = await fakeNode(async (socket) => {
      for (const byte of frames[0]!) {
        await new Promise((resolve) => socket.write(Uint8Array.of(byte), resolve)); // each byte its own segment
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
      socket.end(
        Buffer.concat([
          GossipNotification.encode({ messageId: 7, dataType: 9, data: Buffer.from('x') }),
          Buffer.from('000801f500000009', 'hex'),
        ]),
      );
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
    const port = 1; // tcpmux: reserved, nothing listens there on a test machine, and no test can bind it
    await assert.rejects(
      ApiClient.connect(`127.0.0.1:${port}`),
      new RegExp(`^Error: cannot connect to 127\\.0\\.0\\.1:${port}: ECONNREFUSED$`),
    );
    await assert.rejects(ApiClient.connect('nowhere'), /bad address "nowhere": missing ":port"/);
  });
});
