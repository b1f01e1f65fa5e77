/**
 * GossipHandler (runtime/core/gossip-handler.ts) in-process, through its public methods only:
 * a fake PeerNetwork that records broadcasts and invalid-item reports and hands each frame to
 * fake peer connections, and fake API connections as local modules (docs/protocol.md §3.1, §4.4).
 */
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { decodeFrame, GossipAnnounce, MessageType } from '../../generated/index.js';
import type { Connection } from '../../runtime/core/connection.js';
import { GossipHandler, type ItemEvent, type PeerNetwork } from '../../runtime/core/gossip-handler.js';
import { FakeConnection } from '../support/fake-connection.js';

/** A PeerNetwork over fake peer links: every broadcast is recorded and sent to the links it may reach. */
class FakePeerNetwork implements PeerNetwork {
  readonly broadcasts: Array<{ announce: GossipAnnounce; except: Connection[] }> = [];
  readonly invalidReports: Connection[] = [];

  constructor(readonly links: FakeConnection[]) {}

  broadcast(frame: Uint8Array, except: readonly Connection[]): number {
    const decoded = decodeFrame(frame);
    assert.equal(decoded.type, MessageType.GOSSIP_ANNOUNCE);
    this.broadcasts.push({ announce: decoded.message, except: [...except] });
    let count = 0;
    for (const link of this.links) {
      if (!except.includes(link.asConnection()) && link.send(frame)) count++;
    }
    return count;
  }

  reportInvalidItem(peer: Connection): void {
    this.invalidReports.push(peer);
  }
}

/** Records the handler's item events; `next` resolves at the next matching one (no clock involved). */
class EventLog {
  readonly events: string[] = [];
  private waiters: Array<{ event: string; resolve: () => void }> = [];

  item(event: ItemEvent, reason?: string): void {
    const name = reason === undefined ? event : `${event}:${reason}`;
    this.events.push(name);
    for (const waiter of this.waiters.filter((w) => w.event === name)) waiter.resolve();
    this.waiters = this.waiters.filter((w) => w.event !== name);
  }

  next(event: string): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ event, resolve }));
  }

  count(event: string): number {
    return this.events.filter((name) => name === event).length;
  }
}

const TYPE = 7;
const OTHER_TYPE = 8;

interface Setup {
  handler: GossipHandler;
  network: FakePeerNetwork;
  log: EventLog;
  peers: FakeConnection[];
}

let handlers: GossipHandler[] = [];

function setup(options: { peers?: number; cacheSize?: number; validationTimeoutMs?: number } = {}): Setup {
  const peers = Array.from(
    { length: options.peers ?? 3 },
    (_, n) => new FakeConnection(`10.0.0.${n + 1}`, n % 2 === 0),
  );
  const network = new FakePeerNetwork(peers);
  const log = new EventLog();
  const handler = new GossipHandler({
    cacheSize: options.cacheSize ?? 100,
    seenSetSize: 1000,
    // Long enough never to fire in a test that does not wait for it.
    validationTimeoutMs: options.validationTimeoutMs ?? 60_000,
    peers: network,
    logger: pino({ level: 'silent' }),
    observer: log,
  });
  handlers.push(handler);
  return { handler, network, log, peers };
}

/** A local module (API connection) subscribed to `types`. */
function subscriber(handler: GossipHandler, ...types: number[]): FakeConnection {
  const connection = new FakeConnection('127.0.0.1', true);
  for (const type of types) handler.local.subscribe(connection.asConnection(), type);
  return connection;
}

function announce(data: string, ttl = 5, dataType = TYPE): GossipAnnounce {
  return { ttl, dataType, data: Buffer.from(data) };
}

function notifications(connection: FakeConnection) {
  return connection.sentOf(MessageType.GOSSIP_NOTIFICATION).map((frame) => frame.message);
}

/** Answers every NOTIFICATION `connection` got so far with `valid`. */
function answer(handler: GossipHandler, connection: FakeConnection, valid: boolean): void {
  for (const { messageId } of notifications(connection))
    handler.local.validate(connection.asConnection(), messageId, valid);
}

function announcesTo(peer: FakeConnection) {
  return peer
    .sentOf(MessageType.GOSSIP_ANNOUNCE)
    .map((frame) => ({ ttl: frame.message.ttl, data: Buffer.from(frame.message.data).toString() }));
}

describe('GossipHandler (in-process, fake peers and local modules)', () => {
  afterEach(() => {
    for (const handler of handlers) handler.close();
    handlers = [];
  });

  describe('a local ANNOUNCE (§3.1: trusted)', () => {
    it('is pushed to every peer at once, before any validation, with its ttl as given', () => {
      const { handler, network, peers } = setup();
      const announcer = subscriber(handler, TYPE);
      const other = subscriber(handler, TYPE);
      handler.announceLocal(announcer.asConnection(), announce('local', 3));
      assert.equal(network.broadcasts.length, 1);
      assert.deepEqual(network.broadcasts[0]!.except, []);
      for (const peer of peers) assert.deepEqual(announcesTo(peer), [{ ttl: 3, data: 'local' }]);
      assert.equal(notifications(other).length, 1, 'not waiting for the other subscriber to answer');
    });

    it('is notified to the other subscribers of its type, not to the announcer nor other types', () => {
      const { handler } = setup();
      const announcer = subscriber(handler, TYPE);
      const same = [subscriber(handler, TYPE), subscriber(handler, TYPE, OTHER_TYPE)];
      const otherType = subscriber(handler, OTHER_TYPE);
      handler.announceLocal(announcer.asConnection(), announce('hello'));
      assert.equal(notifications(announcer).length, 0);
      assert.equal(notifications(otherType).length, 0);
      for (const connection of same) {
        assert.deepEqual(
          notifications(connection).map((n) => [n.dataType, Buffer.from(n.data).toString()]),
          [[TYPE, 'hello']],
        );
      }
    });

    it('the same item announced again is a duplicate: neither pushed nor notified twice', () => {
      const { handler, network, log } = setup();
      const announcer = subscriber(handler);
      const other = subscriber(handler, TYPE);
      handler.announceLocal(announcer.asConnection(), announce('twice'));
      handler.announceLocal(announcer.asConnection(), announce('twice', 9));
      assert.equal(network.broadcasts.length, 1);
      assert.equal(notifications(other).length, 1);
      assert.equal(log.count('duplicate:local'), 1);
    });

    it('a peer sending an item announced locally is a duplicate: not delivered, not forwarded', () => {
      const { handler, network, log, peers } = setup();
      const other = subscriber(handler, TYPE);
      handler.announceLocal(subscriber(handler).asConnection(), announce('mine'));
      handler.receiveFromPeer(peers[0]!.asConnection(), announce('mine'));
      assert.equal(network.broadcasts.length, 1);
      assert.equal(notifications(other).length, 1);
      assert.equal(log.count('duplicate:peer'), 1);
    });

    it('a data type nobody subscribed to is still pushed to peers', () => {
      const { handler, network } = setup();
      handler.announceLocal(subscriber(handler).asConnection(), announce('unheard', 2, OTHER_TYPE));
      assert.equal(network.broadcasts.length, 1);
    });
  });

  describe('an item from a peer (§3.1, §4.4)', () => {
    it('is delivered, and forwarded only after it was validated valid, except to the peer that sent it', () => {
      const { handler, network, peers } = setup();
      const module = subscriber(handler, TYPE);
      handler.receiveFromPeer(peers[0]!.asConnection(), announce('from peer', 4));
      assert.deepEqual(
        notifications(module).map((n) => Buffer.from(n.data).toString()),
        ['from peer'],
      );
      assert.equal(network.broadcasts.length, 0, 'not before validation');
      answer(handler, module, true);
      assert.equal(network.broadcasts.length, 1);
      assert.deepEqual(network.broadcasts[0]!.except, [peers[0]!.asConnection()]);
      assert.deepEqual(announcesTo(peers[0]!), []);
      assert.deepEqual(announcesTo(peers[1]!), [{ ttl: 3, data: 'from peer' }]);
      assert.deepEqual(announcesTo(peers[2]!), [{ ttl: 3, data: 'from peer' }]);
    });

    it('waits for every subscriber of the type to answer valid', () => {
      const { handler, network, peers } = setup();
      const modules = [subscriber(handler, TYPE), subscriber(handler, TYPE)];
      handler.receiveFromPeer(peers[0]!.asConnection(), announce('two judges'));
      answer(handler, modules[0]!, true);
      assert.equal(network.broadcasts.length, 0);
      answer(handler, modules[1]!, true);
      assert.equal(network.broadcasts.length, 1);
    });

    it('copies from other peers while it awaits validation are duplicates, and those peers do not get it back', () => {
      const { handler, network, log, peers } = setup({ peers: 4 });
      const module = subscriber(handler, TYPE);
      handler.receiveFromPeer(peers[0]!.asConnection(), announce('popular'));
      handler.receiveFromPeer(peers[1]!.asConnection(), announce('popular'));
      assert.equal(notifications(module).length, 1, 'delivered once');
      assert.equal(log.count('duplicate:peer'), 1);
      answer(handler, module, true);
      assert.equal(network.broadcasts.length, 1);
      assert.deepEqual(
        new Set(network.broadcasts[0]!.except),
        new Set([peers[0]!.asConnection(), peers[1]!.asConnection()]),
      );
      assert.deepEqual(
        peers.map((peer) => announcesTo(peer).length),
        [0, 0, 1, 1],
      );
    });

    it('a copy arriving after it was forwarded is a duplicate: nothing more happens', () => {
      const { handler, network, peers } = setup();
      const module = subscriber(handler, TYPE);
      handler.receiveFromPeer(peers[0]!.asConnection(), announce('late copy'));
      answer(handler, module, true);
      handler.receiveFromPeer(peers[1]!.asConnection(), announce('late copy'));
      assert.equal(notifications(module).length, 1);
      assert.equal(network.broadcasts.length, 1);
    });

    const ttlCases: Array<[string, number, number | null]> = [
      ['ttl 1 is not forwarded (its last hop)', 1, null],
      ['ttl 0 stays 0 (unlimited)', 0, 0],
      ['ttl 2 is forwarded with ttl 1', 2, 1],
      ['ttl 255 is forwarded with ttl 254', 255, 254],
    ];
    for (const [title, received, forwarded] of ttlCases) {
      it(title, () => {
        const { handler, network, peers } = setup();
        const module = subscriber(handler, TYPE);
        handler.receiveFromPeer(peers[0]!.asConnection(), announce(`ttl ${received}`, received));
        assert.equal(notifications(module).length, 1, 'delivered whatever its ttl');
        answer(handler, module, true);
        if (forwarded === null) {
          assert.equal(network.broadcasts.length, 0);
          assert.deepEqual(announcesTo(peers[1]!), []);
        } else {
          assert.deepEqual(
            network.broadcasts.map((b) => b.announce.ttl),
            [forwarded],
          );
          assert.deepEqual(announcesTo(peers[1]!), [{ ttl: forwarded, data: `ttl ${received}` }]);
        }
      });
    }

    it('validated invalid: reported against the peer that sent it, not forwarded', () => {
      const { handler, network, log, peers } = setup();
      const modules = [subscriber(handler, TYPE), subscriber(handler, TYPE)];
      handler.receiveFromPeer(peers[1]!.asConnection(), announce('bad'));
      answer(handler, modules[0]!, false);
      assert.deepEqual(network.invalidReports, [peers[1]!.asConnection()]);
      assert.equal(log.count('invalid'), 1);
      answer(handler, modules[1]!, true); // a late valid=1 from the other judge changes nothing
      assert.equal(network.broadcasts.length, 0);
      assert.equal(network.invalidReports.length, 1);
    });

    it('with no subscriber for its type: neither delivered nor forwarded', () => {
      const { handler, network, log, peers } = setup();
      const otherType = subscriber(handler, OTHER_TYPE);
      handler.receiveFromPeer(peers[0]!.asConnection(), announce('nobody cares', 5, TYPE));
      assert.equal(notifications(otherType).length, 0);
      assert.equal(network.broadcasts.length, 0);
      assert.equal(log.count('dropped:unsubscribed'), 1);
      assert.equal(network.invalidReports.length, 0);
    });

    it('dropped when the validation timeout passes first; a late valid=1 does not forward it', async () => {
      const { handler, network, log, peers } = setup({ validationTimeoutMs: 20 });
      const module = subscriber(handler, TYPE);
      const timedOut = log.next('dropped:validation-timeout');
      handler.receiveFromPeer(peers[0]!.asConnection(), announce('too slow'));
      await timedOut;
      answer(handler, module, true);
      assert.equal(network.broadcasts.length, 0);
      assert.equal(network.invalidReports.length, 0);
    });

    it('dropped when its only subscriber leaves without answering', () => {
      const { handler, network, log, peers } = setup();
      const module = subscriber(handler, TYPE);
      handler.receiveFromPeer(peers[0]!.asConnection(), announce('orphan'));
      handler.local.connectionClosed(module.asConnection());
      assert.equal(log.count('dropped:validation-abandoned'), 1);
      assert.equal(network.broadcasts.length, 0);
    });

    it('evicted from the knowledge base while awaiting validation: dropped, a later valid=1 does not forward it', () => {
      const { handler, network, log, peers } = setup({ cacheSize: 1 });
      const module = subscriber(handler, TYPE);
      handler.receiveFromPeer(peers[0]!.asConnection(), announce('first'));
      handler.receiveFromPeer(peers[0]!.asConnection(), announce('second'));
      assert.equal(log.count('dropped:cache-evicted'), 1);
      answer(handler, module, true);
      assert.deepEqual(
        network.broadcasts.map((b) => Buffer.from(b.announce.data).toString()),
        ['second'],
      );
    });
  });
});
