// Turns checked .ksy specs into the protocol model: the header, every message with each
// field's byte offset, width and kind, how the daemon treats each message, and the field
// offsets the runtime needs, ready for code and docs. Semantic problems are reported with
// the file and the path inside it. The work is split by job: model-header.ts,
// model-message.ts (layout), model-item.ts (repeated entries), model-gossip.ts (`-gossip`).
import type { KsyPort, SpecFile } from './ksy-types.js';
import { buildHeader } from './model-header.js';
import { buildMessage } from './model-message.js';
import { parseTypeRef } from './names.js';
import type { SpecProblem } from './spec-error.js';

/** Size of a byte field: a constant, or chosen by a boolean parameter. */
export type SizeExpr =
  { kind: 'const'; value: number } | { kind: 'choice'; param: string; ifTrue: number; ifFalse: number };

export interface FieldBase {
  /** The .ksy id (lower_snake). */
  id: string;
  /** The TypeScript property name (camelCase). */
  name: string;
  doc: string;
  docRef: string | undefined;
  /** Reserved fields are written as 0 and ignored on input (docs/protocol.md §1). */
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
  (FieldBase & { kind: 'uint'; bytes: UintBytes }) | (FieldBase & { kind: 'bytes'; size: SizeExpr });

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

export type Port = KsyPort;

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
  /** Ports that accept this message (`meta: -gossip: ports`). */
  ports: Port[];
  /** Accepted on P2P before the peer is verified. */
  isHandshake: boolean;
  /** Served ahead of other frames. */
  isPriority: boolean;
  /** May be dropped under load. */
  isDroppable: boolean;
}

/** One header field (an unsigned integer). */
export interface HeaderField {
  id: string;
  offset: number;
  bytes: 1 | 2 | 4;
  doc: string;
}

export interface HeaderModel {
  file: string;
  id: string;
  doc: string;
  docRef: string | undefined;
  /** The frame size field (counts the whole frame, header included). */
  size: HeaderField;
  /** The message type field. */
  type: HeaderField;
  /** Bytes of the header: where every message's own fields start. */
  bytes: number;
  /** Largest frame: the largest value of the size field. */
  maxFrameSize: number;
  /** Largest type number the type field holds. */
  maxType: number;
}

/** A field offset exported under a name (`-gossip: export-offset`), the same in every message that names it. */
export interface OffsetModel {
  name: string;
  offset: number;
  /** Where it comes from: message title and field id. */
  fields: { title: string; id: string; docRef: string | undefined }[];
}

export interface ProtocolModel {
  header: HeaderModel;
  messages: MessageModel[];
  offsets: OffsetModel[];
}

/**
 * Builds the model; returns problems instead of a model when any spec is wrong. `broken` names
 * specs that failed to load: messages whose header is among them are not checked further.
 */
export function buildModel(
  specs: readonly SpecFile[],
  broken: ReadonlySet<string> = new Set(),
): { model?: ProtocolModel; problems: SpecProblem[] } {
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
      problems.push({
        file: spec.file,
        path: '/seq/0',
        message:
          "a message spec must start with 'id: header' (the shared frame header); this spec is neither a message nor the header",
      });
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
  if (!header) return { problems };
  const messages: MessageModel[] = [];
  for (const spec of messageSpecs) {
    const message = buildMessage(spec, header, byId, problems);
    if (message) messages.push(message);
  }
  checkRegistry(messages, problems);
  const offsets = collectOffsets(messageSpecs, messages, problems);
  if (problems.length > 0) return { problems };
  messages.sort((a, b) => a.typeNumber - b.typeNumber);
  return { model: { header, messages, offsets }, problems };
}

function checkRegistry(messages: readonly MessageModel[], problems: SpecProblem[]): void {
  const byType = new Map<number, MessageModel>();
  for (const message of messages) {
    const other = byType.get(message.typeNumber);
    if (other)
      problems.push({
        file: message.file,
        path: '/seq/0/type',
        message: `type number ${message.typeNumber} is already used by ${other.file}`,
      });
    byType.set(message.typeNumber, message);
  }
}

/** The `-gossip: export-offset` names: one offset per name, whichever messages name it. */
function collectOffsets(
  specs: readonly SpecFile[],
  messages: readonly MessageModel[],
  problems: SpecProblem[],
): OffsetModel[] {
  const byName = new Map<string, OffsetModel & { file: string }>();
  for (const message of messages) {
    const spec = specs.find((candidate) => candidate.file === message.file);
    spec?.ksy.seq.forEach((attribute, index) => {
      const name = attribute['-gossip']?.['export-offset'];
      const field = message.fields.find((candidate) => candidate.id === attribute.id);
      if (name === undefined || !field) return;
      const path = `/seq/${index}/-gossip/export-offset`;
      if (field.kind === 'bits') {
        problems.push({ file: message.file, path, message: `${name}: a bit field has no byte offset of its own` });
        return;
      }
      const known = byName.get(name);
      if (known && known.offset !== field.offset) {
        problems.push({
          file: message.file,
          path,
          message: `${name} is ${known.offset} in ${known.file} but ${field.offset} here; one name, one offset`,
        });
        return;
      }
      const entry = known ?? { name, offset: field.offset, fields: [], file: message.file };
      entry.fields.push({ title: message.title, id: field.id, docRef: field.docRef });
      byName.set(name, entry);
    });
  }
  return [...byName.values()]
    .map(({ name, offset, fields }) => ({ name, offset, fields }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
