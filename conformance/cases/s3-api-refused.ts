/**
 * docs/protocol.md §3.1 with §1: a type an API client must not send (NOTIFICATION, the P2P
 * types, the verification messages) closes its connection. One helper, one line per type.
 */
import { MessageType } from '../../runtime/entry/codec.js';
import { rawFrame, u16, u64 } from '../bytes.js';
import type { ConformanceCase } from '../types.js';
import { expectClose } from './common.js';

/** A type an API client must not send closes its connection (§3.1, §1). */
function refused(slug: string, requirement: string, bytes: Uint8Array): ConformanceCase {
  return {
    id: `api/3.1/${slug}`,
    group: 'api',
    section: '3.1',
    requirement,
    minNodes: 1,
    run: (c) => expectClose(c, c.nodes[0]!.api, bytes),
  };
}

export const refusedTypeCases: ConformanceCase[] = [
  refused(
    'notification-from-client',
    'A client sending NOTIFICATION (502) is disconnected.',
    rawFrame(MessageType.GOSSIP_NOTIFICATION, [0, 1, 0x9c, 0x40, 1, 2]),
  ),
  refused(
    'peer-request-from-client',
    'A client sending PEER REQUEST (504, a P2P type) is disconnected.',
    rawFrame(MessageType.GOSSIP_PEER_REQUEST, [8, 0, 0, 0, ...u64(1n)]),
  ),
  refused(
    'peer-response-from-client',
    'A client sending PEER RESPONSE (505, a P2P type) is disconnected.',
    rawFrame(MessageType.GOSSIP_PEER_RESPONSE, [...u64(1n), ...u64(2n), 0, 0, 0, 0]),
  ),
  refused(
    'verification-request-from-client',
    'A client sending VERIFICATION REQUEST (506) is disconnected.',
    rawFrame(MessageType.GOSSIP_VERIFICATION_REQUEST, u64(7n)),
  ),
  refused(
    'verification-response-from-client',
    'A client sending VERIFICATION RESPONSE (507) is disconnected.',
    rawFrame(MessageType.GOSSIP_VERIFICATION_RESPONSE, [...u64(7n), ...u64(9n)]),
  ),
  refused(
    'hello-from-client',
    'A client sending HELLO (508, a P2P type) is disconnected.',
    rawFrame(MessageType.GOSSIP_HELLO, [...u16(6001), 0, 0]),
  ),
  refused(
    'ihave-from-client',
    'A client sending IHAVE (509, a P2P type) is disconnected.',
    rawFrame(MessageType.GOSSIP_IHAVE, [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]),
  ),
];
