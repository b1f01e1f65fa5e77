// TypeScript view of the .ksy subset described by ksy-schema.ts (valid after ajv passed).

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
  meta: { id: string; title: string; endian: 'be'; imports?: string[] };
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
