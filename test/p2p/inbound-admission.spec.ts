/**
 * Paced admission of inbound newcomers (docs/protocol.md §4.6 item 6), in-process with a fake
 * clock: a node holding all its outbound links admits ⌈degree / 2⌉ newcomers at once, then
 * one per ADMISSION_INTERVAL_MS, and refers the rest; a node short of outbound links admits
 * without pacing.
 */
import assert from 'node:assert/strict';
import { ADMISSION_INTERVAL_MS, admissionBurst, InboundAdmission } from '../../runtime/p2p/inbound-admission.js';
import { PeerLink } from '../../runtime/p2p/link.js';
import { FakeClock } from '../support/fake-clock.js';
import { FakeConnection } from '../support/fake-connection.js';
import { handshakeHarness, verifiedNewcomer, type HandshakeHarness } from '../support/handshake-harness.js';

describe('paced admission of inbound newcomers (docs/protocol.md §4.6 item 6)', () => {
  it('InboundAdmission: a burst, then one per interval, never more than the burst saved up', () => {
    const clock = new FakeClock();
    const admission = new InboundAdmission(clock, 2);
    assert.deepEqual([admission.take(), admission.take(), admission.take()], [true, true, false]);
    clock.advance(ADMISSION_INTERVAL_MS - 1);
    assert.equal(admission.take(), false, 'not before the interval is over');
    clock.advance(1);
    assert.deepEqual([admission.take(), admission.take()], [true, false], 'one per interval');
    clock.advance(ADMISSION_INTERVAL_MS * 20);
    assert.deepEqual([admission.take(), admission.take(), admission.take()], [true, true, false], 'at most the burst');
  });

  it('admits ⌈degree / 2⌉ at once, at least 2', () => {
    assert.deepEqual([1, 2, 4, 5, 8].map(admissionBurst), [2, 2, 2, 3, 4]);
  });

  describe('in the handshake (degree 4, max_peers 12: a burst of 2)', () => {
    let harness: HandshakeHarness;
    const phasesOf = async (hosts: string[]) => {
      const phases: string[] = [];
      for (const host of hosts) phases.push((await verifiedNewcomer(harness, host)).phase);
      return phases;
    };

    /** `count` active links this node dialed, to peers in 10.200.x.1. */
    function outboundLinks(count: number): PeerLink[] {
      return Array.from({ length: count }, (_, i) => {
        const host = `10.200.${i}.1`;
        const link = new PeerLink(
          new FakeConnection(host, false).asConnection(),
          'outbound',
          { host, port: 6001 },
          harness.clock,
        );
        link.advance({ phase: 'active' });
        harness.links.add(link);
        return link;
      });
    }

    beforeEach(() => {
      harness = handshakeHarness({ degree: 4, maxPeers: 12, maxHandshakesPerSubnet: 100 });
    });

    it('holding all its outbound links, a node admits two newcomers at once, then one per interval, and refers the rest', async () => {
      outboundLinks(4);
      // Each newcomer from its own /24, so that no origin knocks (§4.6 item 5) in this test.
      assert.deepEqual(await phasesOf(['10.1.0.1', '10.2.0.1', '10.3.0.1']), ['active', 'active', 'referral']);
      harness.clock.advance(ADMISSION_INTERVAL_MS);
      assert.deepEqual(await phasesOf(['10.4.0.1', '10.5.0.1']), ['active', 'referral']);
      assert.equal(harness.links.active.filter((link) => link.isInbound).length, 3, 'free inbound slots left unused');
    });

    it('does not pace newcomers from loopback while loopback is exempt (a local network), but does once it is not', async () => {
      outboundLinks(4);
      const local = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '::1'];
      assert.deepEqual(await phasesOf(local), ['active', 'active', 'active', 'active']);
      harness = handshakeHarness({ degree: 4, maxPeers: 12, subnetCapExemptLoopback: false });
      outboundLinks(4);
      assert.deepEqual(await phasesOf(['127.0.1.1', '127.0.2.1', '127.0.3.1']), ['active', 'active', 'referral']);
    });

    it('short of outbound links, a node admits every newcomer it has room for', async () => {
      outboundLinks(3);
      const hosts = Array.from({ length: 5 }, (_, i) => `10.${i + 1}.0.1`);
      assert.deepEqual(await phasesOf(hosts), ['active', 'active', 'active', 'active', 'active']);
    });

    it('paces newcomers from knocking origins too, and a newcomer turned away for want of room takes no admission', async () => {
      harness = handshakeHarness({ degree: 4, maxPeers: 6, maxHandshakesPerSubnet: 100 });
      outboundLinks(4);
      const [first, second] = [
        await verifiedNewcomer(harness, '10.1.0.1'),
        await verifiedNewcomer(harness, '10.2.0.1'),
      ];
      assert.deepEqual([first.phase, second.phase], ['active', 'active'], 'the two inbound slots (6 - 4)');
      harness.clock.advance(2 * ADMISSION_INTERVAL_MS);
      // Three turned away for want of room: the /24 10.5 now knocks, and no admission was spent.
      assert.deepEqual(await phasesOf(['10.5.0.1', '10.5.0.2', '10.5.0.3']), ['referral', 'referral', 'referral']);
      assert.equal(harness.handshake.pressure.isKnocker('10.5.0.9'), true);
      first.fake.close('made room');
      second.fake.close('made room');
      const admitted = await phasesOf(['10.5.0.9', '10.6.0.1']);
      assert.deepEqual(
        admitted,
        ['active', 'active'],
        'the two saved admissions: a knocker (within its cap) and a quiet one',
      );
      harness.links.active.find((link) => link.isInbound)!.connection.close('made room');
      assert.equal((await verifiedNewcomer(harness, '10.7.0.1')).phase, 'referral', 'room, but no admission left');
    });
  });
});
