/**
 * The broadcast tree in-process (runtime/p2p/tree/dissemination.ts with the real gossip
 * handler and link table, docs/protocol.md §4.8): fake peer links, fake local modules, a fake
 * clock. What goes on eager and lazy links, when links change mode, what is served on GRAFT,
 * and that validation (§3.1) and ttl (§4.4) rules hold in tree mode.
 */
import assert from 'node:assert/strict';
import { GossipAnnounce, GossipGraft, GossipIhave, GossipPrune, MessageType } from '../../generated/index.js';
import { PeerLink } from '../../runtime/p2p/link.js';
import { PRUNE_AFTER_DUPLICATES } from '../../runtime/p2p/tree/link-modes.js';
import { FakeConnection } from '../support/fake-connection.js';
import {
  GRAFT_TIMEOUT,
  idBytes,
  idOf,
  ihaveIds,
  item,
  LAZY_DELAY,
  node,
  payloads,
  validateAll,
} from '../support/tree-in-process.js';

describe('broadcast tree in-process (docs/protocol.md §4.8)', () => {
  it('tree: a ttl-0 item goes whole on eager links and as an id in one IHAVE on lazy links, lazy_push_delay later', () => {
    const { clock, tree, handler, peers, module } = node('tree');
    tree.prune(peers[2]!.asConnection());
    handler.announceLocal(module.asConnection(), item('first'));
    handler.announceLocal(module.asConnection(), item('second'));
    assert.deepEqual(payloads(peers[0]!), ['first', 'second']);
    assert.deepEqual(payloads(peers[2]!), []);
    clock.advance(LAZY_DELAY - 1);
    assert.deepEqual(ihaveIds(peers[2]!), [], 'batched');
    clock.advance(1);
    assert.deepEqual(peers[2]!.sentOf(MessageType.GOSSIP_IHAVE).length, 1);
    assert.deepEqual(ihaveIds(peers[2]!), [idOf('first'), idOf('second')]);
    assert.deepEqual(ihaveIds(peers[0]!), []);
  });

  it('tree: an eager link whose send queue is full gets the id lazily instead, and serves it on GRAFT (§4.8 item 3)', () => {
    const { clock, tree, handler, peers, module } = node('tree');
    peers[0]!.isQueueFull = true;
    handler.announceLocal(module.asConnection(), item('squeezed'));
    assert.deepEqual(payloads(peers[0]!), [], 'no push into a full queue');
    assert.deepEqual(payloads(peers[1]!), ['squeezed'], 'other eager links still get the payload');
    clock.advance(LAZY_DELAY);
    assert.deepEqual(ihaveIds(peers[0]!), [idOf('squeezed')]);
    peers[0]!.isQueueFull = false;
    tree.graft(peers[0]!.asConnection(), [idBytes('squeezed')]);
    assert.deepEqual(payloads(peers[0]!), ['squeezed']);
  });

  it('tree: an id is not announced back to a peer that announced it (§4.8 item 3)', () => {
    const { clock, tree, handler, peers, module, deliver } = node('tree', 4);
    tree.prune(peers[2]!.asConnection());
    tree.prune(peers[3]!.asConnection());
    // Peer 2 announces x before it arrives; peer 3 announces y while y waits in our batch for it.
    deliver(peers[2]!, GossipIhave.encode({ ids: [idBytes('x')] }));
    deliver(peers[0]!, GossipAnnounce.encode(item('x')));
    handler.announceLocal(module.asConnection(), item('y'));
    deliver(peers[3]!, GossipIhave.encode({ ids: [idBytes('y')] }));
    validateAll(handler, module, true);
    clock.advance(LAZY_DELAY);
    assert.deepEqual(ihaveIds(peers[2]!), [idOf('y')]);
    assert.deepEqual(ihaveIds(peers[3]!), [idOf('x')]);
  });

  it('tree: an item with ttl ≠ 0 is flooded on every link, lazy ones too, and never served (§4.8 item 2)', () => {
    const { clock, tree, handler, peers, module, deliver } = node('tree');
    tree.prune(peers[2]!.asConnection());
    handler.announceLocal(module.asConnection(), item('limited', 3));
    clock.advance(10 * LAZY_DELAY);
    for (const peer of peers) assert.deepEqual(payloads(peer), ['limited']);
    assert.deepEqual(ihaveIds(peers[2]!), []);
    deliver(peers[1]!, GossipGraft.encode({ ids: [idBytes('limited')] }));
    assert.deepEqual(payloads(peers[1]!), ['limited'], 'not served again');
  });

  it(`tree: a run of ${PRUNE_AFTER_DUPLICATES} duplicates makes a link lazy and sends PRUNE; a new payload makes it eager`, () => {
    const { tree, handler, peers, module, deliver } = node('tree');
    const twice = (data: string) => {
      deliver(peers[0]!, GossipAnnounce.encode(item(data)));
      validateAll(handler, module, true);
      deliver(peers[1]!, GossipAnnounce.encode(item(data)));
    };
    twice('first');
    assert.equal(tree.modeOf(peers[1]!.asConnection()), 'eager', 'one duplicate is not yet enough');
    deliver(peers[1]!, GossipAnnounce.encode(item('new over it'))); // starts the count over
    twice('second');
    assert.equal(tree.modeOf(peers[1]!.asConnection()), 'eager');
    twice('third');
    assert.equal(tree.modeOf(peers[1]!.asConnection()), 'lazy');
    assert.equal(peers[1]!.sentOf(MessageType.GOSSIP_PRUNE).length, 1);
    assert.equal(tree.modeOf(peers[0]!.asConnection()), 'eager');
    deliver(peers[1]!, GossipAnnounce.encode(item('fresh')));
    assert.equal(tree.modeOf(peers[1]!.asConnection()), 'eager');
  });

  it('tree: a duplicate prunes nothing when the link its first copy came over is lazy by now (§4.8 item 5)', () => {
    const { tree, handler, peers, module, deliver, events } = node('tree');
    for (const data of ['a', 'b']) {
      deliver(peers[0]!, GossipAnnounce.encode(item(data)));
      validateAll(handler, module, true);
    }
    deliver(peers[0]!, GossipPrune.encode({})); // another item's duplicates cut peer 0's link meanwhile
    for (const data of ['a', 'b']) deliver(peers[1]!, GossipAnnounce.encode(item(data)));
    assert.equal(tree.modeOf(peers[1]!.asConnection()), 'eager', 'still the path to where a and b came from');
    assert.equal(peers[1]!.sentOf(MessageType.GOSSIP_PRUNE).length, 0);
    assert.equal(events.filter((e) => e === 'prune-withheld').length, 2);
  });

  it('tree: a duplicate with ttl ≠ 0 changes no mode and sends no PRUNE', () => {
    const { tree, handler, peers, module, deliver } = node('tree');
    deliver(peers[0]!, GossipAnnounce.encode(item('ttl item', 4)));
    validateAll(handler, module, true);
    deliver(peers[1]!, GossipAnnounce.encode(item('ttl item', 4)));
    assert.equal(tree.modeOf(peers[1]!.asConnection()), 'eager');
    assert.equal(peers[1]!.sentOf(MessageType.GOSSIP_PRUNE).length, 0);
  });

  it('a peer item is neither announced lazily nor served before validation, and never once called invalid (§3.1)', () => {
    const { clock, tree, handler, peers, module, deliver } = node('tree');
    tree.prune(peers[2]!.asConnection());
    deliver(peers[0]!, GossipAnnounce.encode(item('judged')));
    deliver(peers[1]!, GossipGraft.encode({ ids: [idBytes('judged')] }));
    clock.advance(10 * LAZY_DELAY);
    assert.deepEqual(ihaveIds(peers[2]!), []);
    assert.deepEqual(payloads(peers[1]!), [], 'not served before validation');
    validateAll(handler, module, false);
    clock.advance(10 * LAZY_DELAY);
    deliver(peers[1]!, GossipGraft.encode({ ids: [idBytes('judged')] }));
    assert.deepEqual(ihaveIds(peers[2]!), []);
    assert.deepEqual(payloads(peers[1]!), []);
  });

  it('a valid peer item is announced lazily at the moment it is pushed, then served on GRAFT', () => {
    const { clock, tree, handler, peers, module, deliver } = node('tree');
    tree.prune(peers[2]!.asConnection());
    deliver(peers[0]!, GossipAnnounce.encode(item('vouched')));
    validateAll(handler, module, true);
    assert.deepEqual(payloads(peers[1]!), ['vouched']);
    clock.advance(LAZY_DELAY);
    assert.deepEqual(ihaveIds(peers[2]!), [idOf('vouched')]);
    deliver(peers[2]!, GossipGraft.encode({ ids: [idBytes('vouched')] }));
    assert.deepEqual(payloads(peers[2]!), ['vouched']);
    assert.equal(tree.modeOf(peers[2]!.asConnection()), 'eager', 'GRAFT makes the link eager');
  });

  for (const mode of ['tree', 'flood'] as const) {
    it(`${mode}: a GRAFT of an unknown id is answered with nothing and closes nothing`, () => {
      const { peers, deliver, events } = node(mode);
      deliver(peers[0]!, GossipGraft.encode({ ids: [{ id: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }] }));
      assert.deepEqual(peers[0]!.sent, []);
      assert.equal(peers[0]!.isClosed, false);
      assert.deepEqual(events, ['graft-id-received']);
    });

    it(`${mode}: an IHAVE of an unseen id is pulled from its announcer after graft_timeout; a seen one is not`, () => {
      const { clock, handler, peers, deliver, module } = node(mode);
      handler.announceLocal(module.asConnection(), item('known'));
      deliver(peers[1]!, GossipIhave.encode({ ids: [idBytes('unseen'), idBytes('known')] }));
      clock.advance(GRAFT_TIMEOUT);
      const grafts = peers[1]!.sentOf(MessageType.GOSSIP_GRAFT);
      assert.equal(grafts.length, 1);
      assert.deepEqual(
        grafts[0]!.message.ids.map((e) => Buffer.from(e.id).toString('latin1')),
        [idOf('unseen')],
      );
    });

    it(`${mode}: a peer that announces and never serves is closed after 10 unserved GRAFTs`, () => {
      const { clock, peers, deliver, events } = node(mode);
      for (let n = 0; n < 9; n++) {
        deliver(peers[0]!, GossipIhave.encode({ ids: [idBytes(`fake ${n}`)] }));
        clock.advance(2 * GRAFT_TIMEOUT);
      }
      assert.equal(peers[0]!.isClosed, false);
      deliver(peers[0]!, GossipIhave.encode({ ids: [idBytes('fake last')] }));
      clock.advance(2 * GRAFT_TIMEOUT);
      assert.match(peers[0]!.closeReason ?? '', /unserved GRAFTs/);
      assert.equal(events.filter((e) => e === 'graft-unserved').length, 10);
    });

    it(`${mode}: an unserved GRAFT does not count while the peer's frames wait unread here (the answer may be among them)`, () => {
      const { clock, peers, deliver, events } = node(mode);
      const strike = (n: number) => {
        deliver(peers[0]!, GossipIhave.encode({ ids: [idBytes(`queued ${n}`)] }));
        clock.advance(2 * GRAFT_TIMEOUT);
      };
      peers[0]!.queuedFrames = 300;
      for (let n = 0; n < 10; n++) strike(n);
      [peers[0]!.queuedFrames, peers[0]!.isPaused] = [0, true];
      for (let n = 10; n < 20; n++) strike(n);
      assert.equal(peers[0]!.isClosed, false, 'a backlog of our own is not the peer refusing');
      assert.equal(events.filter((e) => e === 'graft-unserved').length, 20, 'still counted as events');
      peers[0]!.isPaused = false;
      for (let n = 20; n < 30; n++) strike(n);
      assert.match(peers[0]!.closeReason ?? '', /unserved GRAFTs/, 'once nothing of it waits, they count');
    });

    it(`${mode}: a peer that served a GRAFT, even late, is never closed for unserved ones (it may evict, §4.8 item 7)`, () => {
      const { clock, peers, deliver, events } = node(mode);
      for (let n = 0; n < 9; n++) {
        deliver(peers[0]!, GossipIhave.encode({ ids: [idBytes(`gone ${n}`)] }));
        clock.advance(2 * GRAFT_TIMEOUT);
      }
      // Its answer to the first GRAFT comes long after that GRAFT was judged unserved.
      deliver(peers[0]!, GossipAnnounce.encode(item('gone 0')));
      for (let n = 9; n < 40; n++) {
        deliver(peers[0]!, GossipIhave.encode({ ids: [idBytes(`gone ${n}`)] }));
        clock.advance(2 * GRAFT_TIMEOUT);
      }
      assert.equal(peers[0]!.isClosed, false, 'an overloaded or evicting peer keeps its link');
      assert.equal(events.filter((e) => e === 'graft-unserved').length, 40, 'still counted as events');
    });
  }

  it('flood: every item goes whole on every link, PRUNE is ignored, duplicates send no PRUNE', () => {
    const { clock, tree, handler, peers, module, deliver } = node('flood');
    deliver(peers[2]!, GossipPrune.encode({}));
    handler.announceLocal(module.asConnection(), item('everywhere'));
    clock.advance(10 * LAZY_DELAY);
    for (const peer of peers) assert.deepEqual(payloads(peer), ['everywhere']);
    deliver(peers[1]!, GossipAnnounce.encode(item('everywhere')));
    assert.equal(peers[1]!.sentOf(MessageType.GOSSIP_PRUNE).length, 0);
    assert.deepEqual(tree.linkCounts(), { eager: 3, lazy: 0 });
    assert.deepEqual(
      peers.map((p) => p.sentOf(MessageType.GOSSIP_IHAVE).length),
      [0, 0, 0],
    );
  });

  it('a closed link loses the ids waiting for it and is asked for nothing more', () => {
    const { clock, tree, handler, peers, module, deliver } = node('tree');
    tree.prune(peers[2]!.asConnection());
    handler.announceLocal(module.asConnection(), item('pending'));
    deliver(peers[2]!, GossipIhave.encode({ ids: [idBytes('wanted')] }));
    peers[2]!.close('gone');
    clock.advance(10 * GRAFT_TIMEOUT);
    assert.deepEqual(peers[2]!.sent, []);
    assert.deepEqual(tree.stateSizes(), {
      missing_ids: 0,
      lazy_ids_waiting: 0,
      serving_window_items: 0,
      graft_answers_waiting: 0,
    });
  });

  it('IHAVE, GRAFT and PRUNE on a link not yet verified close it; on a referral they are ignored (§4.8 item 9)', () => {
    const { clock, links, peers, deliver } = node('tree', 1);
    for (const frame of [GossipPrune.encode({}), GossipIhave.encode({ ids: [] }), GossipGraft.encode({ ids: [] })]) {
      const stranger = new FakeConnection('10.0.9.9', true);
      stranger.onClose = (reason) => links.remove(stranger.asConnection(), reason);
      links.add(new PeerLink(stranger.asConnection(), 'inbound', null, clock));
      deliver(stranger, frame);
      assert.match(stranger.closeReason ?? '', /before verification/);
    }
    links.get(peers[0]!.asConnection())!.advance({ phase: 'referral' });
    deliver(peers[0]!, GossipGraft.encode({ ids: [idBytes('x')] }));
    deliver(peers[0]!, GossipIhave.encode({ ids: [idBytes('y')] }));
    deliver(peers[0]!, GossipPrune.encode({}));
    clock.advance(10 * GRAFT_TIMEOUT);
    assert.equal(peers[0]!.isClosed, false);
    assert.deepEqual(peers[0]!.sent, []);
  });
});
