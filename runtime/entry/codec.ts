/**
 * `voidphone-gossip/codec`: the generated encoders, decoders and message types of every
 * Gossip message (docs/messages.md), the frame header helpers and the protocol constants.
 * Each message class has `encode(fields) → Uint8Array` and `decode(frame) → fields`.
 */
export * from '../../generated/index.js';
