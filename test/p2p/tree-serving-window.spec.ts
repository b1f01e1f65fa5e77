/**
 * The serving window (docs/protocol.md §4.8 item 6): an item announced lazily can be pulled
 * for lazy_push_delay + 6 × graft_timeout whatever cache_size says, and a node never
 * announces an id it could not keep for that long: it pushes the item instead.
 */
import assert from 'node:assert/strict';
import { GossipAnnounce, GossipGraft, MessageType } from '../../generated/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { ENTRY_OVERHEAD_BYTES, ServingWindow } from '../../runtime/p2p/tree/serving-window.js';
import {
  GRAFT_TIMEOUT,
  idBytes,
  idOf,
  ihaveIds,
  item,
  LAZY_DELAY,
  node,
  payloads,
} from '../support/tree-in-process.js';

const WINDOW_MS = LAZY_DELAY + 6 * GRAFT_TIMEOUT;

describe('the serving window of the broadcast tree (docs/protocol.md §4.8 item 6)', () => {
  it('ServingWindow keeps a frame for its lifetime and within its byte budget', () => {
    const clock = new FakeClock();
    const frame = new Uint8Array(20);
    const window = new ServingWindow(clock, 1_000, 2 * (frame.length + ENTRY_OVERHEAD_BYTES));
    assert.equal(window.keep('a', frame), true);
    assert.equal(window.keep('b', frame), true);
    assert.equal(window.keep('c', frame), false, 'over the budget: not kept');
    assert.equal(window.keep('a', frame), true, 'kept already');
    clock.advance(999);
    assert.equal(window.frameOf('a'), frame, 'within its lifetime');
    clock.advance(1);
    assert.equal(window.frameOf('a'), undefined, 'gone when its lifetime is over');
    assert.equal(window.size, 0);
    assert.equal(window.bytes, 0, 'and its bytes are free again');
    assert.equal(window.keep('c', frame), true);
  });

  it('serves a GRAFT for an announced item that cache_size already evicted, until the window ends', () => {
    const { clock, tree, handler, peers, module, deliver } = node('tree');
    tree.prune(peers[2]!.asConnection());
    handler.announceLocal(module.asConnection(), item('early'));
    // The fixture's cache_size is 100: these evict 'early' from the knowledge base.
    for (let i = 0; i < 150; i++) handler.announceLocal(module.asConnection(), item(`later ${i}`));
    assert.equal(handler.servable(idOf('early')), undefined, 'no longer in the knowledge base');
    clock.advance(LAZY_DELAY);
    assert.ok(ihaveIds(peers[2]!).includes(idOf('early')), 'announced lazily');
    clock.advance(WINDOW_MS - LAZY_DELAY - 1);
    deliver(peers[2]!, GossipGraft.encode({ ids: [idBytes('early')] }));
    assert.deepEqual(payloads(peers[2]!), ['early'], 'served from the window');
    clock.advance(1);
    deliver(peers[2]!, GossipGraft.encode({ ids: [idBytes('early')] }));
    assert.deepEqual(payloads(peers[2]!), ['early'], 'not after the window');
  });

  it('pushes an item on lazy links instead of announcing it when the window is full', () => {
    const frameBytes = GossipAnnounce.encode(item('first')).length;
    const { clock, tree, handler, peers, module, events } = node('tree', 3, frameBytes + ENTRY_OVERHEAD_BYTES);
    tree.prune(peers[2]!.asConnection());
    handler.announceLocal(module.asConnection(), item('first'));
    handler.announceLocal(module.asConnection(), item('other'));
    clock.advance(LAZY_DELAY);
    assert.deepEqual(ihaveIds(peers[2]!), [idOf('first')], 'only the id the window kept is announced');
    assert.deepEqual(payloads(peers[2]!), ['other'], 'the other goes whole');
    assert.equal(events.filter((e) => e === 'lazy-as-eager').length, 1);
    assert.equal(peers[2]!.sentOf(MessageType.GOSSIP_ANNOUNCE).length, 1);
    clock.advance(WINDOW_MS);
    handler.announceLocal(module.asConnection(), item('after'));
    clock.advance(LAZY_DELAY);
    assert.deepEqual(ihaveIds(peers[2]!), [idOf('first'), idOf('after')], 'room again once the window moved on');
  });
});
