/**
 * PeerLink (runtime/p2p/link.ts): one state at a time, PEER REQUEST nonces used once per
 * address family (docs/protocol.md §4.1), all on a fake clock.
 */
import assert from 'node:assert/strict';
import { PeerLink } from '../../runtime/p2p/link.js';
import { FakeClock } from '../support/fake-clock.js';
import { FakeConnection } from '../support/fake-connection.js';

describe('PeerLink (runtime/p2p/link.ts)', () => {
  const clock = new FakeClock();
  const link = (direction: 'inbound' | 'outbound' = 'outbound') =>
    new PeerLink(new FakeConnection('10.0.0.1', direction === 'inbound').asConnection(), direction, null, clock);

  it('starts an acceptor awaiting HELLO and a dialer awaiting the request', () => {
    assert.equal(link('inbound').state.phase, 'awaiting-hello');
    assert.equal(link('outbound').state.phase, 'awaiting-request');
  });

  it('an illegal step closes the connection and leaves the state as it was', () => {
    const peer = link();
    assert.equal(peer.advance('unexpected HELLO'), false);
    assert.equal(peer.connection.closeReason, 'unexpected HELLO');
    assert.equal(peer.state.phase, 'awaiting-request');
  });

  it('takes no step once closed', () => {
    const peer = link();
    peer.markClosed('remote closed');
    assert.equal(peer.advance({ phase: 'active' }), false);
    assert.equal(peer.state.phase, 'closed');
    assert.equal(peer.abort.signal.aborted, true, 'solving for a closed link is cancelled');
  });

  describe('PEER REQUEST nonces (§4.1)', () => {
    it('accepts one response per address family to a nonce, then neither again', () => {
      const peer = link();
      const nonce = peer.startPeerRequest();
      assert.equal(peer.claimPeerResponse(nonce, 4, 60_000), null);
      assert.match(peer.claimPeerResponse(nonce, 4, 60_000) ?? '', /second IPv4/);
      assert.equal(peer.claimPeerResponse(nonce, 6, 60_000), null);
      assert.match(peer.claimPeerResponse(nonce, 6, 60_000) ?? '', /never sent/);
    });

    it('allows a new request once the first family answered (the second may never come)', () => {
      const peer = link();
      const nonce = peer.startPeerRequest();
      assert.equal(peer.hasOpenPeerRequest, true);
      peer.claimPeerResponse(nonce, 6, 60_000);
      assert.equal(peer.hasOpenPeerRequest, false);
      assert.equal(peer.claimPeerResponse(nonce, 4, 60_000), null, 'the other family is still accepted');
    });

    it('refuses a response after the timeout, and forgets expired requests', () => {
      const peer = link();
      const nonce = peer.startPeerRequest();
      clock.advance(11);
      assert.match(peer.claimPeerResponse(nonce, 4, 10) ?? '', /after verification_timeout/);
      const kept = peer.startPeerRequest();
      clock.advance(5);
      peer.expirePeerRequests(10);
      assert.equal(peer.peerRequests.has(nonce), false);
      assert.equal(peer.peerRequests.has(kept), true);
    });
  });
});
