// A minimal hand-written DataView codec for the benchmark mix: the yardstick the generated
// codecs must match (targets: decode ≥ 0.9x, encode ≥ 0.9x). Same checks as the generated
// code where they cost something (header, sizes, ranges), nothing more. It parses and builds
// frames by hand on purpose (test/protocol-facts.spec.ts exempts it from the header rule);
// only the type numbers come from the registry.
import { MessageType } from '../generated/index.js';

const ANNOUNCE = MessageType.GOSSIP_ANNOUNCE;
const NOTIFY = MessageType.GOSSIP_NOTIFY;
const VALIDATION = MessageType.GOSSIP_VALIDATION;
const PEER_RESPONSE = MessageType.GOSSIP_PEER_RESPONSE;

export type BaselineMessage =
  | { type: typeof ANNOUNCE; ttl: number; dataType: number; data: Uint8Array }
  | { type: typeof NOTIFY; dataType: number }
  | { type: typeof VALIDATION; messageId: number; valid: boolean }
  | {
      type: typeof PEER_RESPONSE;
      nonce: bigint;
      challenge: bigint;
      isIpv6: boolean;
      entries: { addr: Uint8Array; port: number }[];
    };

export function baselineDecode(frame: Uint8Array): BaselineMessage {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 4) throw new Error('truncated');
  const size = view.getUint16(0);
  if (size < 4 || size !== frame.length) throw new Error('bad size');
  const type = view.getUint16(2);
  switch (type) {
    case ANNOUNCE:
      if (size < 8) throw new Error('truncated');
      return { type, ttl: view.getUint8(4), dataType: view.getUint16(6), data: frame.subarray(8) };
    case NOTIFY:
      if (size !== 8) throw new Error('wrong size');
      return { type, dataType: view.getUint16(6) };
    case VALIDATION:
      if (size !== 8) throw new Error('wrong size');
      return { type, messageId: view.getUint16(4), valid: (view.getUint16(6) & 1) === 1 };
    case PEER_RESPONSE: {
      if (size < 24) throw new Error('truncated');
      const isIpv6 = (view.getUint32(20) & 0x8000_0000) !== 0;
      const addrSize = isIpv6 ? 16 : 4;
      if ((size - 24) % (addrSize + 2) !== 0) throw new Error('partial entry');
      const entries: { addr: Uint8Array; port: number }[] = [];
      for (let offset = 24; offset < size; offset += addrSize + 2) {
        entries.push({ addr: frame.subarray(offset, offset + addrSize), port: view.getUint16(offset + addrSize) });
      }
      return { type, nonce: view.getBigUint64(4), challenge: view.getBigUint64(12), isIpv6, entries };
    }
    default:
      throw new Error('unknown type');
  }
}

function checkUint(value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError('out of range');
}

export function baselineEncode(message: BaselineMessage): Uint8Array {
  switch (message.type) {
    case ANNOUNCE: {
      checkUint(message.ttl, 0xff);
      checkUint(message.dataType, 0xffff);
      const size = 8 + message.data.length;
      if (size > 65535) throw new RangeError('too large');
      const frame = new Uint8Array(size);
      const view = new DataView(frame.buffer);
      view.setUint16(0, size);
      view.setUint16(2, ANNOUNCE);
      view.setUint8(4, message.ttl);
      view.setUint16(6, message.dataType);
      frame.set(message.data, 8);
      return frame;
    }
    case NOTIFY: {
      checkUint(message.dataType, 0xffff);
      const frame = new Uint8Array(8);
      const view = new DataView(frame.buffer);
      view.setUint16(0, 8);
      view.setUint16(2, NOTIFY);
      view.setUint16(6, message.dataType);
      return frame;
    }
    case VALIDATION: {
      checkUint(message.messageId, 0xffff);
      const frame = new Uint8Array(8);
      const view = new DataView(frame.buffer);
      view.setUint16(0, 8);
      view.setUint16(2, VALIDATION);
      view.setUint16(4, message.messageId);
      view.setUint16(6, message.valid ? 1 : 0);
      return frame;
    }
    case PEER_RESPONSE: {
      const addrSize = message.isIpv6 ? 16 : 4;
      const size = 24 + message.entries.length * (addrSize + 2);
      if (size > 65535) throw new RangeError('too large');
      const frame = new Uint8Array(size);
      const view = new DataView(frame.buffer);
      view.setUint16(0, size);
      view.setUint16(2, PEER_RESPONSE);
      view.setBigUint64(4, message.nonce);
      view.setBigUint64(12, message.challenge);
      view.setUint32(20, message.isIpv6 ? 0x8000_0000 : 0);
      let offset = 24;
      for (const entry of message.entries) {
        if (entry.addr.length !== addrSize) throw new RangeError('address length');
        checkUint(entry.port, 0xffff);
        frame.set(entry.addr, offset);
        view.setUint16(offset + addrSize, entry.port);
        offset += addrSize + 2;
      }
      return frame;
    }
  }
}
