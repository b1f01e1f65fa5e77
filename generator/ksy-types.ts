// TypeScript view of the .ksy subset described by ksy-schema.ts (valid after ajv passed).

/** A daemon port: `api` (local modules) or `p2p` (peers). */
export type KsyPort = 'api' | 'p2p';

/** `meta: -gossip:` of a message spec: how the daemon treats the message (Kaitai ignores `-` keys). */
export interface KsyGossipMeta {
  /** Ports that accept this message from the other side ([] = sent by the daemon only). */
  ports: KsyPort[];
  /** Accepted on P2P before the peer is verified. */
  handshake?: boolean;
  /** Served ahead of other frames. */
  priority?: boolean;
  /** May be dropped under load. */
  droppable?: boolean;
}

/** `-gossip:` of a message field. */
export interface KsyGossipField {
  /** Export the field's byte offset under this name (e.g. `CHALLENGE_OFFSET`). */
  'export-offset': string;
}

export type KsyValid = number | string | { eq?: number | string; min?: number | string; max?: number | string };

export interface KsyAttribute {
  id: string;
  type?: string;
  size?: number | string;
  'size-eos'?: true;
  repeat?: 'eos';
  enum?: string;
  valid?: KsyValid;
  doc: string;
  'doc-ref'?: string;
  '-gossip'?: KsyGossipField;
}

export interface KsyParam {
  id: string;
  type: 'u1' | 'u2' | 'u4' | 'bool';
  doc: string;
}

export interface KsyTypeBody {
  doc: string;
  'doc-ref'?: string;
  params?: KsyParam[];
  seq: KsyAttribute[];
}

export interface Ksy extends KsyTypeBody {
  meta: { id: string; title: string; endian: 'be'; imports?: string[]; '-gossip'?: KsyGossipMeta };
  types?: Record<string, KsyTypeBody>;
  enums?: Record<string, Record<string, string>>;
}

/** A spec file as read from disk. */
export interface SpecFile {
  /** Path relative to the project root, with forward slashes (`spec/gossip_hello.ksy`). */
  file: string;
  text: string;
  ksy: Ksy;
}
