// Turns checked .ksy specs into message models: every field with its byte offset, width
// and kind, ready for code and docs. Semantic problems (unknown type or enum, bit fields
// that do not fill whole bytes, header limits that disagree with the layout) are reported
// here with the file and the path inside it.
import type { Ksy, KsyAttribute, KsyParam, SpecFile } from './ksy-types.js';
import type { SpecProblem } from './spec-error.js';

/** Size of a byte field: a constant, or chosen by a boolean parameter. */
export type SizeExpr =
  | { kind: 'const'; value: number }
  | { kind: 'choice'; param: string; ifTrue: number; ifFalse: number };

interface FieldBase {
  /** The .ksy id (lower_snake). */
  id: string;
  /** The TypeScript property name (camelCase). */
  name: string;
  doc: string;
  docRef: string | undefined;
  /** Reserved fields are written as 0 and ignored on input (PROTOCOL.md §1). */
  isReserved: boolean;
}

export type UintBytes = 1 | 2 | 4 | 8;

export type MessageField =
  | (FieldBase & { kind: 'uint'; offset: number; bytes: UintBytes; enumName: string | undefined })
  | (FieldBase & { kind: 'bits'; offset: number; groupBytes: 1 | 2 | 3 | 4; shift: number; width: number })
  | (FieldBase & { kind: 'bytes'; offset: number; size: number })
  | (FieldBase & { kind: 'bytes-eos'; offset: number })
  | (FieldBase & { kind: 'repeat-eos'; offset: number; item: ItemModel; args: string[] });

export type ItemField =
  | (FieldBase & { kind: 'uint'; bytes: UintBytes })
  | (FieldBase & { kind: 'bytes'; size: SizeExpr });

/** A user type repeated inside a message (e.g. one PEER RESPONSE entry). */
export interface ItemModel {
  id: string;
  /** TypeScript interface name (PascalCase). */
  name: string;
  doc: string;
  params: { id: string; name: string; doc: string }[];
  fields: ItemField[];
}

export interface EnumModel {
  id: string;
  name: string;
  members: { name: string; value: number }[];
}

export interface MessageModel {
  /** Spec path, e.g. `spec/gossip_hello.ksy`. */
  file: string;
  id: string;
  title: string;
  /** Interface and codec name, e.g. `GossipHello`. */
  name: string;
  /** Registry key, e.g. `GOSSIP_HELLO`. */
  constName: string;
  /** Module file name without extension, e.g. `gossip-hello`. */
  moduleName: string;
  typeNumber: number;
  minSize: number;
  maxSize: number;
  doc: string;
  docRef: string | undefined;
  fields: MessageField[];
  enums: EnumModel[];
}

export interface HeaderModel {
  file: string;
  id: string;
  doc: string;
  docRef: string | undefined;
  sizeDoc: string;
  typeDoc: string;
}

export interface ProtocolModel {
  header: HeaderModel;
  messages: MessageModel[];
}

export const HEADER_SIZE = 4;
export const MAX_FRAME_SIZE = 65535;

const UINT_TYPES: Record<string, UintBytes> = { u1: 1, u2: 2, u4: 4, u8: 8 };
const TYPE_REF = /^([a-z][a-z0-9_]*)(?:\((.*)\))?$/;
const BITS_TYPE = /^b([0-9]+)$/;
const CHOICE_SIZE = /^\s*([a-z][a-z0-9_]*)\s*\?\s*([0-9]+)\s*:\s*([0-9]+)\s*$/;

export function camelCase(id: string): string {
  return id.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function pascalCase(id: string): string {
  const camel = camelCase(id);
  return camel.charAt(0).toUpperCase() + camel.slice(1);
}

/**
 * Builds the model; returns problems instead of a model when any spec is wrong. `broken` names
 * specs that failed to load: messages whose header is among them are not checked further.
 */
export function buildModel(specs: readonly SpecFile[], broken: ReadonlySet<string> = new Set()): { model?: ProtocolModel; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const byId = new Map(specs.map((spec) => [spec.ksy.meta.id, spec]));
  const headerIdOf = (spec: SpecFile): string => parseTypeRef(spec.ksy.seq[0]?.type ?? '')?.name ?? '';
  const messageSpecs = specs.filter((spec) => spec.ksy.seq[0]?.id === 'header');
  const headerIds = new Set(messageSpecs.map(headerIdOf));
  if ([...headerIds].some((id) => broken.has(id))) {
    // The header's own problems are reported; every message measured against it would only echo them.
    return { problems: [] };
  }
  const headerSpecs = specs.filter((spec) => headerIds.has(spec.ksy.meta.id));
  for (const spec of specs) {
    if (!messageSpecs.includes(spec) && !headerSpecs.includes(spec)) {
      problems.push({ file: spec.file, path: '/seq/0', message: "a message spec must start with 'id: header' (the shared frame header); this spec is neither a message nor the header" });
    }
  }
  if (headerSpecs.length !== 1 || !headerSpecs[0]) {
    problems.push({
      file: messageSpecs[0]?.file ?? 'spec/',
      path: '/seq/0/type',
      message: `every message must use one shared header type, found ${headerSpecs.length === 0 ? 'none' : headerSpecs.map((s) => s.ksy.meta.id).join(', ')}`,
    });
    return { problems };
  }
  const header = buildHeader(headerSpecs[0], problems);
  const messages: MessageModel[] = [];
  for (const spec of messageSpecs) {
    const message = buildMessage(spec, byId, problems);
    if (message) messages.push(message);
  }
  checkRegistry(messages, problems);
  if (problems.length > 0 || !header) return { problems };
  messages.sort((a, b) => a.typeNumber - b.typeNumber);
  return { model: { header, messages }, problems };
}

function buildHeader(spec: SpecFile, problems: SpecProblem[]): HeaderModel | undefined {
  const { ksy, file } = spec;
  const before = problems.length;
  if ((ksy.params ?? []).length !== 3) {
    problems.push({ file, path: '/params', message: 'the header takes exactly three params: expected type, min size, max size' });
  }
  if (ksy.seq.length !== 2) {
    problems.push({ file, path: '/seq', message: 'the header has exactly two fields: size (u2) and type (u2)' });
  }
  ksy.seq.forEach((attribute, index) => {
    if (attribute.type !== 'u2') problems.push({ file, path: `/seq/${index}/type`, message: `header fields are u2, not '${attribute.type ?? 'bytes'}'` });
  });
  const [size, type] = ksy.seq;
  if (problems.length > before || !size || !type) return undefined;
  return { file, id: ksy.meta.id, doc: ksy.doc.trim(), docRef: ksy['doc-ref'], sizeDoc: size.doc, typeDoc: type.doc };
}

function buildMessage(spec: SpecFile, byId: Map<string, SpecFile>, problems: SpecProblem[]): MessageModel | undefined {
  const { ksy, file } = spec;
  const before = problems.length;
  const report = (path: string, message: string) => problems.push({ file, path, message });
  if (ksy.params) report('/params', 'a message spec takes no params');
  const headerAttribute = ksy.seq[0];
  const headerRef = parseTypeRef(headerAttribute?.type ?? '');
  const headerArgs = headerRef?.args.map((arg) => (/^[0-9]+$/.test(arg) ? Number(arg) : NaN)) ?? [];
  const [typeNumber, minSize, maxSize] = headerArgs;
  if (!headerRef || !(ksy.meta.imports ?? []).includes(headerRef.name) || !byId.has(headerRef.name)) {
    report('/seq/0/type', `the header type '${headerAttribute?.type ?? ''}' must be an imported spec`);
    return undefined;
  }
  if (headerArgs.length !== 3 || typeNumber === undefined || minSize === undefined || maxSize === undefined || headerArgs.some(Number.isNaN)) {
    report('/seq/0/type', `write the header as ${headerRef.name}(<type number>, <min size>, <max size>) with integer arguments`);
    return undefined;
  }
  if (typeNumber > 0xffff) report('/seq/0/type', `type number ${typeNumber} does not fit 16 bits`);
  if (maxSize > MAX_FRAME_SIZE || minSize > maxSize) report('/seq/0/type', `size limits ${minSize}..${maxSize} must satisfy min <= max <= ${MAX_FRAME_SIZE}`);

  const enums = buildEnums(ksy, file, problems);
  const fields: MessageField[] = [];
  let offset = HEADER_SIZE;
  let pendingBits: { fields: { attribute: KsyAttribute; index: number; width: number }[]; total: number } | undefined;

  const flushBits = (path: string): void => {
    if (!pendingBits) return;
    const { total } = pendingBits;
    if (total % 8 !== 0 || total > 32) {
      report(path, `bit fields must fill exactly 8, 16, 24 or 32 bits before the next byte-aligned field; these fill ${total}`);
    } else {
      let shift = total;
      for (const { attribute, width } of pendingBits.fields) {
        shift -= width; // big-endian bit order: the first field takes the most significant bits
        fields.push({ ...fieldBase(attribute), kind: 'bits', offset, groupBytes: (total / 8) as 1 | 2 | 3 | 4, shift, width });
      }
      offset += total / 8;
    }
    pendingBits = undefined;
  };

  ksy.seq.forEach((attribute, index) => {
    if (index === 0) return;
    const path = `/seq/${index}`;
    const isLast = index === ksy.seq.length - 1;
    if (attribute.valid !== undefined) report(`${path}/valid`, "'valid' is supported only in the header spec");
    if (attribute.enum !== undefined && !enums.some((e) => e.id === attribute.enum)) {
      report(`${path}/enum`, `unknown enum '${attribute.enum}' (${enums.length ? `declared: ${enums.map((e) => e.id).join(', ')}` : 'this spec declares no enums'})`);
    }
    const bits = attribute.type ? BITS_TYPE.exec(attribute.type) : null;
    if (bits) {
      const width = Number(bits[1]);
      if (width < 1 || width > 32) report(`${path}/type`, `bit field width must be 1..32, not ${width}`);
      if (attribute.enum) report(`${path}/enum`, 'enums are supported on u1/u2/u4 fields only');
      pendingBits ??= { fields: [], total: 0 };
      pendingBits.fields.push({ attribute, index, width });
      pendingBits.total += width;
      if (isLast) flushBits(path);
      return;
    }
    flushBits(`${path}/type`);
    if (attribute['size-eos'] || attribute.repeat === 'eos') {
      if (!isLast) report(path, "'size-eos' and 'repeat: eos' are supported on the last field only");
    }
    if (attribute.type === undefined) {
      if (attribute['size-eos']) {
        fields.push({ ...fieldBase(attribute), kind: 'bytes-eos', offset });
      } else if (typeof attribute.size === 'number') {
        fields.push({ ...fieldBase(attribute), kind: 'bytes', offset, size: attribute.size });
        offset += attribute.size;
      } else {
        report(path, "missing 'type' (or 'size' / 'size-eos' for raw bytes)");
      }
      return;
    }
    const bytes = UINT_TYPES[attribute.type];
    if (bytes !== undefined) {
      if (attribute.enum && bytes === 8) report(`${path}/enum`, 'enums are supported on u1/u2/u4 fields only');
      if (attribute.repeat) report(`${path}/repeat`, "'repeat' is supported on user types only");
      fields.push({ ...fieldBase(attribute), kind: 'uint', offset, bytes, enumName: attribute.enum ? pascalCase(attribute.enum) : undefined });
      offset += bytes;
      return;
    }
    const ref = parseTypeRef(attribute.type);
    const body = ref ? ksy.types?.[ref.name] : undefined;
    if (!ref || !body) {
      report(`${path}/type`, `unknown type '${attribute.type}' (supported: u1, u2, u4, u8, b1..b32, or a type under 'types')`);
      return;
    }
    if (attribute.repeat !== 'eos') {
      report(`${path}/repeat`, "a user type is supported only as the last field with 'repeat: eos'");
      return;
    }
    const item = buildItem(ref.name, body.doc, body.params ?? [], body.seq, ref.args, fields, `/types/${ref.name}`, report);
    if (item) fields.push({ ...fieldBase(attribute), kind: 'repeat-eos', offset, item, args: ref.args.map(camelCase) });
  });

  if (minSize !== offset) report('/seq/0/type', `min size ${minSize} disagrees with the layout: the fixed fields end at byte ${offset}`);
  // Without a variable tail, max > min means "bytes after the last field are an error"
  // (trailing-bytes); max = min makes it a fixed-size message (wrong-fixed-size).
  if (problems.length > before) return undefined;
  return {
    file,
    id: ksy.meta.id,
    title: ksy.meta.title,
    name: pascalCase(ksy.meta.id),
    constName: ksy.meta.id.toUpperCase(),
    moduleName: ksy.meta.id.replace(/_/g, '-'),
    typeNumber,
    minSize,
    maxSize,
    doc: ksy.doc.trim(),
    docRef: ksy['doc-ref'],
    fields,
    enums,
  };
}

function buildItem(
  id: string,
  doc: string,
  params: readonly KsyParam[],
  seq: readonly KsyAttribute[],
  args: readonly string[],
  parentFields: readonly MessageField[],
  path: string,
  report: (path: string, message: string) => void,
): ItemModel | undefined {
  let ok = true;
  const fail = (where: string, message: string): void => {
    ok = false;
    report(where, message);
  };
  if (args.length !== params.length) fail(path, `type '${id}' takes ${params.length} argument(s), given ${args.length}`);
  params.forEach((param, index) => {
    const arg = args[index] ?? '';
    const source = parentFields.find((field) => field.id === arg);
    if (param.type !== 'bool') fail(`${path}/params/${index}/type`, 'only bool params are supported');
    else if (!source || source.kind !== 'bits' || source.width !== 1) fail(`${path}/params/${index}`, `argument '${arg}' must name an earlier b1 field`);
  });
  const fields: ItemField[] = [];
  seq.forEach((attribute, index) => {
    const where = `${path}/seq/${index}`;
    if (attribute.repeat || attribute['size-eos'] || attribute.enum || attribute.valid !== undefined) {
      fail(where, "fields of a repeated type support only 'type' (u1..u8) or 'size'");
      return;
    }
    if (attribute.type !== undefined) {
      const bytes = UINT_TYPES[attribute.type];
      if (bytes === undefined) fail(`${where}/type`, `unknown type '${attribute.type}' (supported here: u1, u2, u4, u8)`);
      else fields.push({ ...fieldBase(attribute), kind: 'uint', bytes });
      return;
    }
    if (typeof attribute.size === 'number') {
      fields.push({ ...fieldBase(attribute), kind: 'bytes', size: { kind: 'const', value: attribute.size } });
      return;
    }
    const choice = typeof attribute.size === 'string' ? CHOICE_SIZE.exec(attribute.size) : null;
    const paramIndex = choice ? params.findIndex((param) => param.id === choice[1]) : -1;
    if (!choice || paramIndex < 0) {
      fail(where, attribute.size === undefined ? "missing 'type' (or 'size' for raw bytes)" : `size '${attribute.size}' must be an integer or '<bool param> ? <int> : <int>'`);
      return;
    }
    fields.push({
      ...fieldBase(attribute),
      kind: 'bytes',
      size: { kind: 'choice', param: camelCase(args[paramIndex] ?? ''), ifTrue: Number(choice[2]), ifFalse: Number(choice[3]) },
    });
  });
  if (!ok) return undefined;
  return { id, name: pascalCase(id), doc: doc.trim(), params: params.map((p) => ({ id: p.id, name: camelCase(p.id), doc: p.doc })), fields };
}

function buildEnums(ksy: Ksy, file: string, problems: SpecProblem[]): EnumModel[] {
  return Object.entries(ksy.enums ?? {}).map(([id, members]) => ({
    id,
    name: pascalCase(id),
    members: Object.entries(members).map(([value, name]) => {
      if (Number(value) > 0xffffffff) problems.push({ file, path: `/enums/${id}/${value}`, message: 'enum value does not fit 32 bits' });
      return { name: name.toUpperCase(), value: Number(value) };
    }),
  }));
}

function checkRegistry(messages: readonly MessageModel[], problems: SpecProblem[]): void {
  const byType = new Map<number, MessageModel>();
  for (const message of messages) {
    const other = byType.get(message.typeNumber);
    if (other) problems.push({ file: message.file, path: '/seq/0/type', message: `type number ${message.typeNumber} is already used by ${other.file}` });
    byType.set(message.typeNumber, message);
  }
}

function fieldBase(attribute: KsyAttribute): FieldBase {
  return {
    id: attribute.id,
    name: camelCase(attribute.id),
    doc: attribute.doc.trim(),
    docRef: attribute['doc-ref'],
    isReserved: attribute.id.startsWith('reserved'),
  };
}

function parseTypeRef(type: string): { name: string; args: string[] } | undefined {
  const match = TYPE_REF.exec(type.trim());
  if (!match || !match[1]) return undefined;
  const args = match[2] === undefined ? [] : match[2].split(',').map((arg) => arg.trim());
  return { name: match[1], args };
}
