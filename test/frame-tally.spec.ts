import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { FrameTally } from '../runtime/frame-tally.js';

describe('FrameTally (frames counted by server and type, added to the counter at scrape)', () => {
  it('counts each frame once, however often the counter is read', async () => {
    const registry = new Registry();
    const tally = new FrameTally('frames_total', 'frames', registry);
    const value = async (server: string, type: number) =>
      (await tally.counter.get()).values.find((v) => v.labels.server === server && v.labels.type === String(type))
        ?.value ?? 0;
    for (let n = 0; n < 3; n++) tally.add('api', 500);
    tally.add('p2p', 500);
    assert.equal(await value('api', 500), 3);
    assert.equal(await value('api', 500), 3, 'a second read counted the same frames again');
    tally.add('api', 500);
    assert.equal(await value('api', 500), 4);
    assert.equal(await value('p2p', 500), 1);
    assert.match(await registry.metrics(), /frames_total\{server="api",type="500"\} 4/);
  });
});
