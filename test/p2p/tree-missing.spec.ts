/**
 * Pulling missing items (runtime/p2p/tree/missing-items.ts, docs/protocol.md §4.8 items 4, 7,
 * 8) and IHAVE batching (lazy-batches.ts, item 3), on a fake clock with fake links.
 */
import assert from 'node:assert/strict';
import type { Connection } from '../../runtime/core/connection.js';
import { LazyBatches, MAX_IDS_PER_FRAME } from '../../runtime/p2p/tree/lazy-batches.js';
import { LinkModes } from '../../runtime/p2p/tree/link-modes.js';
import {
  FIRST_WAIT_SPREAD,
  MAX_ANNOUNCERS_ASKED,
  MAX_MISSING_IDS,
  MissingItems,
  type PullActions,
} from '../../runtime/p2p/tree/missing-items.js';
import { FakeClock } from '../support/fake-clock.js';
import { FakeConnection } from '../support/fake-connection.js';

const TIMEOUT = 500;

/** Records every action: GRAFTs as `peer:ids`, strikes, clears and ids given up. */
class Recorder implements PullActions {
  readonly grafts: Array<{ link: Connection; ids: string[] }> = [];
  readonly unservedBy: Connection[] = [];
  readonly servedBy: Connection[] = [];
  readonly givenUpIds: string[] = [];

  graft(link: Connection, ids: readonly string[]): void {
    this.grafts.push({ link, ids: [...ids] });
  }
  unserved(link: Connection): void {
    this.unservedBy.push(link);
  }
  served(link: Connection): void {
    this.servedBy.push(link);
  }
  givenUp(id: string): void {
    this.givenUpIds.push(id);
  }
}

function setup() {
  const clock = new FakeClock();
  const actions = new Recorder();
  const missing = new MissingItems(clock, TIMEOUT, actions, () => 0); // first wait exactly graft_timeout
  const peers = Array.from({ length: 6 }, (_, n) => new FakeConnection(`10.0.0.${n + 1}`, false).asConnection());
  return { clock, actions, missing, peers };
}

describe('missing items and pulls (docs/protocol.md §4.8 items 4, 7, 8)', () => {
  it('waits graft_timeout after the first IHAVE, then GRAFTs the first announcer only', () => {
    const { clock, actions, missing, peers } = setup();
    missing.announced(peers[0]!, 'a');
    clock.advance(100);
    missing.announced(peers[1]!, 'a');
    clock.advance(TIMEOUT - 101);
    assert.equal(actions.grafts.length, 0, 'not before graft_timeout');
    clock.advance(1);
    assert.deepEqual(actions.grafts, [{ link: peers[0], ids: ['a'] }]);
  });

  it(`spreads the first wait over graft_timeout × (1 + ${FIRST_WAIT_SPREAD} × random), the later ones not`, () => {
    const clock = new FakeClock();
    const actions = new Recorder();
    const missing = new MissingItems(clock, TIMEOUT, actions, () => 0.999);
    const [a, b] = [1, 2].map((n) => new FakeConnection(`10.0.5.${n}`, false).asConnection());
    missing.announced(a!, 'x');
    missing.announced(b!, 'x');
    const first = Math.round(TIMEOUT * (1 + FIRST_WAIT_SPREAD * 0.999));
    clock.advance(first - 1);
    assert.equal(actions.grafts.length, 0);
    clock.advance(1);
    assert.equal(actions.grafts.length, 1);
    clock.advance(TIMEOUT);
    assert.equal(actions.grafts.length, 2, 'the next announcer exactly graft_timeout later');
  });

  it('pulls each id when its own wait ends, not in the order the IHAVEs came', () => {
    const clock = new FakeClock();
    const actions = new Recorder();
    const draws = [0.9, 0];
    const missing = new MissingItems(clock, TIMEOUT, actions, () => draws.shift() ?? 0);
    // Two announcers: a GRAFT to one link takes along that link's other ids (a later test).
    const [link, other] = [9, 10].map((n) => new FakeConnection(`10.0.5.${n}`, false).asConnection());
    missing.announced(link!, 'later');
    clock.advance(10);
    missing.announced(other!, 'sooner');
    clock.advance(TIMEOUT);
    assert.deepEqual(
      actions.grafts.map((g) => g.ids),
      [['sooner']],
    );
    clock.advance(TIMEOUT);
    assert.deepEqual(actions.grafts[1]?.ids, ['later']);
  });

  it('does not pull an item that arrived meanwhile, from any link', () => {
    const { clock, actions, missing, peers } = setup();
    missing.announced(peers[0]!, 'a');
    missing.arrived(peers[3]!, 'a');
    clock.advance(10 * TIMEOUT);
    assert.deepEqual(actions.grafts, []);
    assert.equal(missing.size, 0);
  });

  it('asks the next announcer when one does not serve, and counts the unserved GRAFT once against it', () => {
    const { clock, actions, missing, peers } = setup();
    missing.announced(peers[0]!, 'a');
    missing.announced(peers[1]!, 'a');
    missing.announced(peers[0]!, 'a'); // a repeated IHAVE adds nothing
    clock.advance(TIMEOUT);
    clock.advance(TIMEOUT);
    assert.deepEqual(
      actions.grafts.map((g) => g.link),
      [peers[0], peers[1]],
    );
    assert.deepEqual(actions.unservedBy, [peers[0]]);
    missing.arrived(peers[1]!, 'a');
    assert.deepEqual(actions.servedBy, [peers[1]], 'a served GRAFT clears its peer');
    clock.advance(10 * TIMEOUT);
    assert.deepEqual(actions.unservedBy, [peers[0]]);
  });

  it('an answer after its GRAFT was judged unserved still reports the peer as serving', () => {
    const { clock, actions, missing, peers } = setup();
    missing.announced(peers[0]!, 'a');
    missing.announced(peers[1]!, 'a');
    clock.advance(2 * TIMEOUT);
    assert.deepEqual(actions.unservedBy, [peers[0]]);
    missing.arrived(peers[1]!, 'a');
    missing.arrived(peers[0]!, 'a'); // the first announcer's late answer, a duplicate by now
    assert.deepEqual(actions.servedBy, [peers[1], peers[0]]);
  });

  it('a GRAFT takes along the other ids its peer announced that still wait for their first pull', () => {
    const { clock, actions, missing, peers } = setup();
    missing.announced(peers[0]!, 'a');
    clock.advance(TIMEOUT / 2);
    missing.announced(peers[0]!, 'b');
    missing.announced(peers[1]!, 'c');
    clock.advance(TIMEOUT / 2);
    assert.deepEqual(actions.grafts, [{ link: peers[0], ids: ['a', 'b'] }]);
    clock.advance(TIMEOUT / 2);
    assert.deepEqual(actions.grafts[1], { link: peers[1], ids: ['c'] });
  });

  it('an item from another link than the one grafted is no strike and no clearing', () => {
    const { clock, actions, missing, peers } = setup();
    missing.announced(peers[0]!, 'a');
    clock.advance(TIMEOUT);
    missing.arrived(peers[2]!, 'a');
    clock.advance(10 * TIMEOUT);
    assert.deepEqual(actions.unservedBy, []);
    assert.deepEqual(actions.servedBy, []);
  });

  it(`gives up after ${MAX_ANNOUNCERS_ASKED} announcers asked, or when none is left`, () => {
    const { clock, actions, missing, peers } = setup();
    for (const peer of peers) missing.announced(peer, 'many');
    missing.announced(peers[0]!, 'one');
    clock.advance(20 * TIMEOUT);
    assert.equal(actions.grafts.filter((g) => g.ids.includes('many')).length, MAX_ANNOUNCERS_ASKED);
    assert.equal(actions.grafts.filter((g) => g.ids.includes('one')).length, 1);
    assert.deepEqual(actions.givenUpIds.sort(), ['many', 'one']);
    assert.equal(missing.size, 0);
    assert.equal(clock.armed, 0, 'no timer left behind');
  });

  it('ids due at once for one link share one GRAFT; other links get their own', () => {
    const { clock, actions, missing, peers } = setup();
    for (const id of ['a', 'b', 'c']) missing.announced(peers[0]!, id);
    missing.announced(peers[1]!, 'd');
    clock.advance(TIMEOUT);
    assert.deepEqual(
      actions.grafts.map((g) => [g.link, g.ids]),
      [
        [peers[0], ['a', 'b', 'c']],
        [peers[1], ['d']],
      ],
    );
  });

  it(`splits more than ${MAX_IDS_PER_FRAME} ids due at once into several GRAFTs`, () => {
    const { clock, actions, missing, peers } = setup();
    for (let n = 0; n < MAX_IDS_PER_FRAME + 3; n++) missing.announced(peers[0]!, `id${n}`);
    clock.advance(TIMEOUT);
    assert.deepEqual(
      actions.grafts.map((g) => g.ids.length),
      [MAX_IDS_PER_FRAME, 3],
    );
  });

  it('counts a GRAFT against its peer only when NONE of its ids came back from it', () => {
    const { clock, actions, missing, peers } = setup();
    for (const id of ['a', 'b']) missing.announced(peers[0]!, id);
    clock.advance(TIMEOUT);
    missing.arrived(peers[0]!, 'a'); // b was evicted there, say: partly served
    clock.advance(TIMEOUT);
    assert.deepEqual(actions.unservedBy, []);
  });

  it('skips an announcer whose link closed, and never counts against it', () => {
    const { clock, actions, missing, peers } = setup();
    missing.announced(peers[0]!, 'a');
    missing.announced(peers[1]!, 'a');
    missing.linkClosed(peers[0]!);
    clock.advance(TIMEOUT);
    assert.deepEqual(actions.grafts, [{ link: peers[1], ids: ['a'] }]);
    missing.linkClosed(peers[1]!);
    clock.advance(TIMEOUT);
    assert.deepEqual(actions.unservedBy, []);
    assert.deepEqual(actions.givenUpIds, ['a']);
  });

  it(`keeps at most ${MAX_MISSING_IDS} missing ids and ignores the rest`, () => {
    const { missing, peers } = setup();
    for (let n = 0; n < MAX_MISSING_IDS; n++) assert.equal(missing.announced(peers[0]!, `id${n}`), true);
    assert.equal(missing.announced(peers[0]!, 'one too many'), false);
    assert.equal(missing.announced(peers[1]!, 'id7'), true, 'a known id still takes announcers');
    assert.equal(missing.size, MAX_MISSING_IDS);
  });

  it('a later IHAVE starts a given-up id over', () => {
    const { clock, actions, missing, peers } = setup();
    missing.announced(peers[0]!, 'a');
    clock.advance(2 * TIMEOUT);
    assert.deepEqual(actions.givenUpIds, ['a']);
    missing.announced(peers[1]!, 'a');
    clock.advance(TIMEOUT);
    assert.deepEqual(
      actions.grafts.map((g) => g.link),
      [peers[0], peers[1]],
    );
  });
});

describe('lazy announcements (docs/protocol.md §4.8 item 3)', () => {
  function batches() {
    const clock = new FakeClock();
    const sent: Array<{ link: Connection; ids: string[] }> = [];
    const lazy = new LazyBatches(clock, 50, (link, ids) => sent.push({ link, ids: [...ids] }));
    const links = [0, 1].map((n) => new FakeConnection(`10.0.1.${n + 1}`, true).asConnection());
    return { clock, sent, lazy, links };
  }

  it('sends the ids of one link as one IHAVE lazy_push_delay after the first', () => {
    const { clock, sent, lazy, links } = batches();
    lazy.add(links[0]!, 'a');
    clock.advance(30);
    lazy.add(links[0]!, 'b');
    lazy.add(links[1]!, 'c');
    clock.advance(19);
    assert.deepEqual(sent, []);
    clock.advance(1);
    assert.deepEqual(sent, [{ link: links[0], ids: ['a', 'b'] }]);
    clock.advance(30);
    assert.deepEqual(sent[1], { link: links[1], ids: ['c'] });
    assert.equal(lazy.waiting, 0);
  });

  it(`sends at once when ${MAX_IDS_PER_FRAME} ids wait`, () => {
    const { clock, sent, lazy, links } = batches();
    for (let n = 0; n < MAX_IDS_PER_FRAME + 1; n++) lazy.add(links[0]!, `id${n}`);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.ids.length, MAX_IDS_PER_FRAME);
    clock.advance(50);
    assert.deepEqual(sent[1]!.ids, [`id${MAX_IDS_PER_FRAME}`]);
  });

  it('drops what waits for a link that closed', () => {
    const { clock, sent, lazy, links } = batches();
    lazy.add(links[0]!, 'a');
    lazy.drop(links[0]!);
    clock.advance(100);
    assert.deepEqual(sent, []);
    assert.equal(clock.armed, 0);
  });
});

describe('link modes (docs/protocol.md §4.8 item 1)', () => {
  it('starts a link eager, changes only known links, and counts both modes', () => {
    const modes = new LinkModes();
    const [a, b, stranger] = [1, 2, 3].map((n) => new FakeConnection(`10.0.2.${n}`, true).asConnection());
    modes.add(a!);
    modes.add(b!);
    assert.equal(modes.modeOf(a!), 'eager');
    assert.equal(modes.set(b!, 'lazy'), true);
    assert.equal(modes.set(b!, 'lazy'), false, 'no change');
    assert.equal(modes.set(stranger!, 'lazy'), false);
    assert.equal(modes.has(stranger!), false);
    assert.deepEqual(modes.counts(), { eager: 1, lazy: 1 });
    modes.remove(b!);
    assert.deepEqual(modes.counts(), { eager: 1, lazy: 0 });
  });
});
