/**
 * TEMPORARY: the protocol facts the generator is about to emit into generated/index.ts
 * (issue 8 item 3). Re-exported from there once it does; delete this file then.
 */
import { MessageType } from '../generated/index.js';

export { MessageType, HEADER_SIZE, MAX_FRAME_SIZE, CHALLENGE_OFFSET } from '../generated/index.js';
export const NOTIFICATION_MESSAGE_ID_OFFSET = 4;
export const API_ACCEPTED_TYPES: ReadonlySet<MessageType> = new Set([
  MessageType.GOSSIP_ANNOUNCE,
  MessageType.GOSSIP_NOTIFY,
  MessageType.GOSSIP_VALIDATION,
]);
export const HANDSHAKE_TYPES: ReadonlySet<MessageType> = new Set([
  MessageType.GOSSIP_HELLO,
  MessageType.GOSSIP_VERIFICATION_REQUEST,
  MessageType.GOSSIP_VERIFICATION_RESPONSE,
]);
export const P2P_ACCEPTED_TYPES: ReadonlySet<MessageType> = new Set([
  MessageType.GOSSIP_ANNOUNCE,
  MessageType.GOSSIP_PEER_REQUEST,
  MessageType.GOSSIP_PEER_RESPONSE,
  ...HANDSHAKE_TYPES,
]);
export const PRIORITY_TYPES: ReadonlySet<MessageType> = new Set([MessageType.GOSSIP_VALIDATION]);
export const DROPPABLE_TYPES: ReadonlySet<MessageType> = new Set([MessageType.GOSSIP_ANNOUNCE]);
