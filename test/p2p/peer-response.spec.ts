import assert from 'node:assert/strict';
import { GossipPeerResponse } from '../../generated/index.js';
import { candidatesIn, peerResponseFrames } from '../../runtime/p2p/peer-response.js';

const v4 = (n: number) => ({ host: `10.0.0.${n}`, port: 6000 + n });
const v6 = (n: number) => ({ host: `2001:db8::${n}`, port: 7000 + n });

describe('PEER RESPONSE contents (docs/protocol.md §4, §4.3)', () => {
  it('answers with one frame per address family', () => {
    const frames = peerResponseFrames(5n, [v4(1), v6(1), v4(2)], null, 10).map((f) => GossipPeerResponse.decode(f));
    assert.deepEqual(
      frames.map((f) => [f.isIpv6, f.entries.length, f.nonce]),
      [
        [false, 2, 5n],
        [true, 1, 5n],
      ],
    );
  });

  it('never gives the requester its own address and respects the limit', () => {
    const known = [v4(1), v4(2), v4(3), v4(4)];
    for (let n = 0; n < 20; n++) {
      const [frame] = peerResponseFrames(1n, known, v4(2), 2).map((f) => GossipPeerResponse.decode(f));
      assert.equal(frame!.entries.length, 2);
      assert.ok(frame!.entries.every((e) => e.port !== 6002));
    }
  });

  it('answers an empty IPv4 response when it knows nobody else', () => {
    const frames = peerResponseFrames(1n, [v4(1)], v4(1), 10).map((f) => GossipPeerResponse.decode(f));
    assert.deepEqual(
      frames.map((f) => [f.isIpv6, f.entries.length]),
      [[false, 0]],
    );
  });

  it('reads candidates, leaving out our own address and undialable ones', () => {
    const response = GossipPeerResponse.decode(
      GossipPeerResponse.encode({
        nonce: 1n,
        challenge: 0n,
        isIpv6: false,
        entries: [
          { addr: Uint8Array.of(10, 0, 0, 1), port: 6001 },
          { addr: Uint8Array.of(10, 0, 0, 9), port: 6009 },
          { addr: Uint8Array.of(0, 0, 0, 0), port: 6000 },
          { addr: Uint8Array.of(10, 0, 0, 3), port: 0 },
        ],
      }),
    );
    assert.deepEqual(candidatesIn(response, v4(9)), [v4(1)]);
  });
});
