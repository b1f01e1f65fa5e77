/**
 * The daemon as a library (runtime/entry/daemon.ts, `voidphone-gossip/daemon`): a config object
 * checked like a file, port 0 for any free port, item events, metrics, an idempotent close.
 */
import assert from 'node:assert/strict';
import { ApiClient } from '../../runtime/api/api-client.js';
import { ConfigError, startGossipDaemon, type ItemEvent } from '../../runtime/entry/daemon.js';

describe('startGossipDaemon (the public daemon facade)', () => {
  it('starts on free ports from a config object, reports item events and metrics, and closes once', async () => {
    const node = await startGossipDaemon({
      config: { api_address: '127.0.0.1:0', p2p_address: '127.0.0.1:0', pow_difficulty: '4', cache_size: 10 },
    });
    const events: ItemEvent[] = [];
    node.on('item', (event) => events.push(event));
    let closes = 0;
    node.on('close', () => closes++);
    assert.ok(node.api.port > 0 && node.p2p.port > 0 && node.api.port !== node.p2p.port);
    const client = await ApiClient.connect({ host: '127.0.0.1', port: node.api.port });
    try {
      client.announce({ ttl: 0, dataType: 99, data: Uint8Array.of(1) });
      for (let i = 0; i < 50 && events.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(events[0], { event: 'announced' });
      assert.match(await node.metricsText(), /^gossip_items_announced_total 1$/m);
    } finally {
      client.destroy();
      await Promise.all([node.close(), node.close()]);
    }
    assert.equal(closes, 1);
  });

  it('rejects a bad config object with one ConfigError line naming the key', async () => {
    await assert.rejects(
      startGossipDaemon({ config: { degree: 0, api_address: '127.0.0.1:0', p2p_address: '127.0.0.1:0' } }),
      (error: unknown) => {
        return error instanceof ConfigError && /degree/.test(error.message) && !error.message.includes('\n');
      },
    );
  });
});
