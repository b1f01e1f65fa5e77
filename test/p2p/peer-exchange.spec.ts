/**
 * Peer exchange (docs/protocol.md §4.3, §4.5) on one link, with a fake connection and clock:
 * forbidden candidates count against the sender, the sending rate per link.
 */
import assert from 'node:assert/strict';
import pino from 'pino';
import { GossipPeerResponse } from '../../generated/index.js';
import { CandidateCheck } from '../../runtime/p2p/candidate-check.js';
import type { Handshake } from '../../runtime/p2p/handshake.js';
import { KnownPeers } from '../../runtime/p2p/known-peers.js';
import { PeerLink } from '../../runtime/p2p/link.js';
import { LinkTable } from '../../runtime/p2p/link-table.js';
import { toPeerAddress } from '../../runtime/p2p/peer-address.js';
import { PeerExchange } from '../../runtime/p2p/peer-exchange.js';
import { FakeClock } from '../support/fake-clock.js';
import { FakeConnection } from '../support/fake-connection.js';
import { proveInline } from '../../conformance/proofs.js';

const BITS = 4;
const INTERVAL = 60_000;

function setUp() {
  const clock = new FakeClock();
  const links = new LinkTable(pino({ level: 'silent' }));
  const known = new KnownPeers({ perV4Subnet: 4, perV6Subnet: 4, isLoopbackExempt: true });
  const settings = {
    powDifficulty: BITS,
    verificationTimeoutMs: 60_000,
    peerRequestLimit: 16,
    peerRequestIntervalMs: INTERVAL,
  };
  const exchange = new PeerExchange(known, links, {} as Handshake, settings, clock);
  exchange.check = new CandidateCheck({
    listening: [
      { host: '127.0.0.5', port: 6001 },
      { host: '127.0.0.5', port: 7001 },
    ],
  });
  const connection = new FakeConnection('10.0.0.1', false);
  const link = new PeerLink(connection.asConnection(), 'outbound', { host: '10.0.0.1', port: 6001 }, clock);
  link.advance({ phase: 'active' });
  links.add(link);
  return { clock, exchange, known, link, connection };
}

function proven(
  nonce: bigint,
  entries: { host: string; port: number }[],
): { response: GossipPeerResponse; bytes: Uint8Array } {
  const bytes = proveInline(
    GossipPeerResponse.encode({ nonce, challenge: 0n, isIpv6: false, entries: entries.map(toPeerAddress) }),
    BITS,
  );
  return { response: GossipPeerResponse.decode(bytes), bytes };
}

describe('peer exchange on one link (docs/protocol.md §4.3, §4.5)', () => {
  it('keeps good candidates, drops forbidden ones, and closes the sender after 10 such lists', () => {
    const { clock, exchange, known, link, connection } = setUp();
    for (let n = 0; n < 10; n++) {
      assert.equal(connection.isClosed, false, `open after ${n} lists`);
      clock.advance(INTERVAL);
      assert.equal(exchange.request(link), true);
      const nonce = [...link.peerRequests.keys()].at(-1)!;
      const { response, bytes } = proven(nonce, [
        { host: '10.0.0.9', port: 6000 + n },
        { host: '127.0.0.5', port: 7001 }, // our own API port
        { host: '224.0.0.1', port: 6001 },
      ]);
      exchange.received(link, response, bytes);
    }
    assert.equal(known.candidateCount, 10, 'the good entries became candidates');
    assert.match(connection.closeReason ?? '', /forbidden candidates/);
  });

  it('sends one PEER REQUEST per link per interval', () => {
    const { clock, exchange, link } = setUp();
    assert.equal(exchange.request(link), true, 'the first on a link');
    link.peerRequests.clear(); // answered
    clock.advance(INTERVAL - 1);
    assert.equal(exchange.request(link), false);
    clock.advance(1);
    assert.equal(exchange.request(link), true);
  });
});
