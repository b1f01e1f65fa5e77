/**
 * Origins that keep knocking (docs/protocol.md §4.6 items 2 and 5), in-process with a fake
 * clock: which origins count as knocking, the knockers' cap, a quiet newcomer taking a
 * knocker's slot, what a node names in its PEER RESPONSEs, and rotation closing the
 * youngest link.
 */
import assert from 'node:assert/strict';
import pino from 'pino';
import { MessageType } from '../../generated/index.js';
import type { Handshake } from '../../runtime/p2p/handshake.js';
import { InboundPressure, KNOCK_WINDOW_MS, KNOCKER_TURN_AWAYS } from '../../runtime/p2p/inbound-pressure.js';
import { KnownPeers } from '../../runtime/p2p/known-peers.js';
import { PeerLink } from '../../runtime/p2p/link.js';
import { LinkTable } from '../../runtime/p2p/link-table.js';
import { fromPeerAddress } from '../../runtime/p2p/peer-address.js';
import { PeerExchange } from '../../runtime/p2p/peer-exchange.js';
import { youngestOf } from '../../runtime/p2p/rotation.js';
import { knockerCap } from '../../runtime/p2p/slots.js';
import { FakeClock } from '../support/fake-clock.js';
import { FakeConnection } from '../support/fake-connection.js';
import { BITS, handshakeHarness, verifiedNewcomer, type HandshakeHarness } from '../support/handshake-harness.js';

describe('origins that keep knocking (docs/protocol.md §4.6 item 5)', () => {
  describe('InboundPressure', () => {
    it('makes an origin knocking at its third turn-away within the window, and says so once', () => {
      const clock = new FakeClock();
      const pressure = new InboundPressure(clock, false);
      let started = 0;
      pressure.onKnocking = () => started++;
      for (let i = 1; i < KNOCKER_TURN_AWAYS; i++) pressure.knocked(`10.5.0.${i}`);
      assert.equal(pressure.isKnocker('10.5.0.1'), false);
      pressure.knocked('10.5.0.99');
      assert.equal(pressure.isKnocker('10.5.0.200'), true, 'a /24 that keeps knocking, from any of its addresses');
      assert.equal(pressure.isKnocker('10.6.0.1'), false);
      pressure.knocked('10.5.0.1');
      assert.equal(started, 1, 'announced once, when the origin starts knocking');
      clock.advance(KNOCK_WINDOW_MS);
      assert.equal(pressure.isKnocker('10.5.0.1'), false, 'knocks are forgotten after the window');
    });

    it('keeps an origin knocking while it keeps knocking: the window slides', () => {
      const clock = new FakeClock();
      const pressure = new InboundPressure(clock, false);
      let started = 0;
      pressure.onKnocking = () => started++;
      const every = Math.floor(KNOCK_WINDOW_MS / KNOCKER_TURN_AWAYS) - 1; // a little more than 3 a window
      for (let i = 0; i < 3 * KNOCKER_TURN_AWAYS; i++, clock.advance(every)) {
        pressure.knocked('10.5.0.1');
        if (i >= KNOCKER_TURN_AWAYS - 1) assert.equal(pressure.isKnocker('10.5.0.1'), true, `after knock ${i + 1}`);
      }
      assert.equal(started, 1, 'it started knocking once and never stopped');
      assert.equal(pressure.knocksFrom('10.5.0.1'), 3 * KNOCKER_TURN_AWAYS, 'and every knock counts for the loudest');
    });

    it('never counts loopback while loopback is exempt from subnet rules (local nodes share one address)', () => {
      const exempt = new InboundPressure(new FakeClock(), true);
      for (let i = 0; i < KNOCKER_TURN_AWAYS; i++) exempt.knocked('::1');
      assert.equal(exempt.isKnocker('::1'), false);
      assert.equal(exempt.originOf('127.0.0.1'), null);
      const strict = new InboundPressure(new FakeClock(), false);
      for (let i = 0; i < KNOCKER_TURN_AWAYS; i++) strict.knocked('127.0.0.2');
      assert.equal(strict.isKnocker('127.0.0.9'), true, 'with the exemption lifted, loopback counts by /24');
    });

    it('remembers a bounded number of origins', () => {
      const pressure = new InboundPressure(new FakeClock(), false);
      for (let k = 0; k < KNOCKER_TURN_AWAYS; k++) pressure.knocked('10.200.0.1');
      for (let i = 0; i < 2_000; i++) pressure.knocked(`10.${i >> 8}.${i & 255}.1`);
      assert.equal(pressure.knocksFrom('10.200.0.1'), 0, 'the oldest origin was forgotten');
      assert.equal(pressure.knocksFrom('10.7.207.1'), 1, 'the newest is kept');
    });
  });

  it('caps inbound links from knocking origins at half our active outbound links, at least one', () => {
    const counts = { outboundActive: 4, outboundPending: 0, inboundActive: 0 };
    assert.equal(knockerCap(counts), 2);
    assert.equal(knockerCap({ ...counts, outboundActive: 5 }), 2, 'rounded down');
    assert.equal(knockerCap({ ...counts, outboundPending: 2 }), 2, 'a link not yet active does not count');
    assert.equal(knockerCap({ ...counts, outboundActive: 0 }), 1);
  });

  describe('the handshake at a door where some origin knocks', () => {
    let harness: HandshakeHarness;
    let links: LinkTable;
    let handshake: Handshake;

    beforeEach(() => {
      harness = handshakeHarness({ maxHandshakesPerSubnet: 100 });
      ({ links, handshake } = harness);
    });

    const newcomer = (host: string) => verifiedNewcomer(harness, host);

    it("gives a quiet newcomer the slot of the inbound link whose /24 knocks the most, and never a knocker's", async () => {
      const first = await newcomer('10.5.0.1');
      const second = await newcomer('10.5.0.2');
      assert.deepEqual([first.phase, second.phase], ['active', 'active'], 'the two inbound slots (max_peers - degree)');
      for (let i = 3; i < 3 + KNOCKER_TURN_AWAYS; i++) {
        assert.equal((await newcomer(`10.5.0.${i}`)).phase, 'referral', 'full: turned away');
      }
      assert.equal(handshake.pressure.isKnocker('10.5.0.50'), true);
      assert.equal((await newcomer('10.5.0.50')).phase, 'referral', 'a knocking /24 takes no slot');
      const quiet = await newcomer('10.7.0.1');
      assert.equal(quiet.phase, 'active', 'a quiet origin gets in');
      assert.equal(
        [first, second].filter(({ fake }) => /a quiet newcomer takes the slot/.test(fake.closeReason ?? '')).length,
        1,
        "by taking one knocker's slot",
      );
    });

    it("counts refusals over an origin's own handshake caps as knocks, but not the total cap", () => {
      const open = (host: string) => {
        const fake = new FakeConnection(host, true);
        fake.onClose = (reason) => links.remove(fake.asConnection(), reason);
        handshake.accept(fake.asConnection());
        return fake;
      };
      for (let i = 0; i < 3; i++) open('10.5.0.1');
      assert.equal(
        handshake.pressure.knocksFrom('10.5.0.1'),
        2,
        'the second (a burst) and the third, refused over the address cap of 2',
      );
      open('10.6.0.1');
      open('10.6.0.2');
      const overTotal = open('10.7.0.1');
      assert.equal(overTotal.closeReason, 'too many handshakes in progress', 'max_peers = 4 handshakes in all');
      assert.equal(handshake.pressure.knocksFrom('10.7.0.1'), 0, "which is nobody's own doing");
    });

    it('counts a connection that arrives while another of its origin is handshaking as a knock', () => {
      const open = (host: string) => {
        const fake = new FakeConnection(host, true);
        handshake.accept(fake.asConnection());
      };
      open('10.5.0.1');
      open('10.6.0.1');
      assert.equal(handshake.pressure.knocksFrom('10.5.0.1'), 0, 'the first of an origin is no knock');
      open('10.5.0.2');
      open('10.5.0.3');
      assert.equal(handshake.pressure.knocksFrom('10.5.0.9'), 2, 'the next ones of that /24 are');
      assert.equal(handshake.pressure.knocksFrom('10.6.0.1'), 0);
    });

    it('refers a newcomer as before when no inbound peer knocks', async () => {
      await newcomer('10.1.0.1');
      await newcomer('10.2.0.1');
      for (let i = 0; i < KNOCKER_TURN_AWAYS; i++) await newcomer(`10.3.0.${1 + i}`);
      assert.equal((await newcomer('10.8.0.1')).phase, 'referral');
      assert.equal(links.active.length, 2);
    });

    it("admits a newcomer from a knocking origin into a free slot only within the knockers' cap", async () => {
      for (let i = 1; i <= 2; i++) await newcomer(`10.1.0.${i}`);
      for (let i = 0; i < KNOCKER_TURN_AWAYS; i++) await newcomer(`10.5.0.${1 + i}`);
      for (const link of links.active) link.connection.close('made room');
      const first = await newcomer('10.5.0.9');
      assert.equal(first.phase, 'active', 'one knocker: within ⌈degree / 2⌉ = 1');
      assert.equal((await newcomer('10.5.0.10')).phase, 'referral', 'a second is over the cap, though a slot is free');
      assert.equal((await newcomer('10.9.0.1')).phase, 'active', 'a quiet newcomer takes the free slot');
    });
  });

  it('rotation closes the youngest link, keeping the long-held ones', () => {
    const clock = new FakeClock();
    const made = [100, 300, 200].map((at) => {
      const link = new PeerLink(new FakeConnection('10.0.0.1', true).asConnection(), 'inbound', null, clock);
      link.activatedAt = at;
      return link;
    });
    assert.equal(youngestOf(made), made[1]);
    assert.equal(youngestOf([]), undefined);
  });

  it('names no peer whose origin keeps knocking in its PEER RESPONSEs', async () => {
    const clock = new FakeClock();
    const links = new LinkTable(pino({ level: 'silent' }));
    const known = new KnownPeers({ perV4Subnet: 100, perV6Subnet: 100, isLoopbackExempt: true });
    const pressure = new InboundPressure(clock, false);
    const fakeHandshake = { pressure, solve: () => Promise.resolve(true) } as unknown as Handshake;
    const settings = {
      powDifficulty: BITS,
      verificationTimeoutMs: 60_000,
      peerRequestLimit: 16,
      peerRequestIntervalMs: 1,
    };
    const exchange = new PeerExchange(known, links, fakeHandshake, settings, clock);
    const linkTo = (host: string, direction: 'inbound' | 'outbound') => {
      const fake = new FakeConnection(host, direction === 'inbound');
      const link = new PeerLink(fake.asConnection(), direction, { host, port: 6001 }, clock);
      link.advance({ phase: 'active' });
      links.add(link);
      known.add({ host, port: 6001 });
      return { fake, link };
    };
    const asker = linkTo('10.1.0.1', 'outbound');
    linkTo('10.2.0.1', 'inbound');
    linkTo('10.3.0.1', 'inbound');
    const named = async (nonce: bigint) => {
      clock.advance(1_000);
      await exchange.answer(asker.link, 16, nonce);
      const frame = asker.fake.sentOf(MessageType.GOSSIP_PEER_RESPONSE).at(-1)!.message;
      return frame.entries.map((entry) => fromPeerAddress(entry).host).sort();
    };
    assert.deepEqual(await named(1n), ['10.2.0.1', '10.3.0.1'], 'every known peer but the asker');
    for (let i = 0; i < KNOCKER_TURN_AWAYS; i++) pressure.knocked(`10.3.0.${50 + i}`);
    assert.deepEqual(await named(2n), ['10.2.0.1'], 'not the one from the knocking /24');
  });
});
