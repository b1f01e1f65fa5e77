// The layout of one message spec: every field after the header with its byte offset, width
// and kind (bit groups, a variable tail), checked against the header's size limits.
import type { Ksy, KsyAttribute, SpecFile } from './ksy-types.js';
import type { EnumModel, HeaderModel, MessageField, MessageModel } from './model.js';
import { fieldBase, UINT_TYPES } from './model-field.js';
import { gossipMeta } from './model-gossip.js';
import { buildItem } from './model-item.js';
import { camelCase, parseTypeRef, pascalCase } from './names.js';
import type { SpecProblem } from './spec-error.js';

const BITS_TYPE = /^b([0-9]+)$/;

export function buildMessage(
  spec: SpecFile,
  header: HeaderModel,
  byId: ReadonlyMap<string, SpecFile>,
  problems: SpecProblem[],
): MessageModel | undefined {
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
  if (
    headerArgs.length !== 3 ||
    typeNumber === undefined ||
    minSize === undefined ||
    maxSize === undefined ||
    headerArgs.some(Number.isNaN)
  ) {
    report(
      '/seq/0/type',
      `write the header as ${headerRef.name}(<type number>, <min size>, <max size>) with integer arguments`,
    );
    return undefined;
  }
  if (typeNumber > header.maxType)
    report(
      '/seq/0/type',
      `type number ${typeNumber} does not fit the header's ${header.type.bytes * 8}-bit type field`,
    );
  if (maxSize > header.maxFrameSize || minSize > maxSize)
    report('/seq/0/type', `size limits ${minSize}..${maxSize} must satisfy min <= max <= ${header.maxFrameSize}`);
  const gossip = gossipMeta(ksy, report);

  const enums = buildEnums(ksy, file, problems);
  const fields: MessageField[] = [];
  let offset = header.bytes;
  let pendingBits: { fields: { attribute: KsyAttribute; index: number; width: number }[]; total: number } | undefined;

  const flushBits = (path: string): void => {
    if (!pendingBits) return;
    const { total } = pendingBits;
    if (total % 8 !== 0 || total > 32) {
      report(
        path,
        `bit fields must fill exactly 8, 16, 24 or 32 bits before the next byte-aligned field; these fill ${total}`,
      );
    } else {
      let shift = total;
      for (const { attribute, width } of pendingBits.fields) {
        shift -= width; // big-endian bit order: the first field takes the most significant bits
        fields.push({
          ...fieldBase(attribute),
          kind: 'bits',
          offset,
          groupBytes: (total / 8) as 1 | 2 | 3 | 4,
          shift,
          width,
        });
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
      report(
        `${path}/enum`,
        `unknown enum '${attribute.enum}' (${enums.length ? `declared: ${enums.map((e) => e.id).join(', ')}` : 'this spec declares no enums'})`,
      );
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
      fields.push({
        ...fieldBase(attribute),
        kind: 'uint',
        offset,
        bytes,
        enumName: attribute.enum ? pascalCase(attribute.enum) : undefined,
      });
      offset += bytes;
      return;
    }
    const ref = parseTypeRef(attribute.type);
    const body = ref ? ksy.types?.[ref.name] : undefined;
    if (!ref || !body) {
      report(
        `${path}/type`,
        `unknown type '${attribute.type}' (supported: u1, u2, u4, u8, b1..b32, or a type under 'types')`,
      );
      return;
    }
    if (attribute.repeat !== 'eos') {
      report(`${path}/repeat`, "a user type is supported only as the last field with 'repeat: eos'");
      return;
    }
    const item = buildItem(
      ref.name,
      body.doc,
      body.params ?? [],
      body.seq,
      ref.args,
      fields,
      `/types/${ref.name}`,
      report,
    );
    if (item) fields.push({ ...fieldBase(attribute), kind: 'repeat-eos', offset, item, args: ref.args.map(camelCase) });
  });

  if (minSize !== offset)
    report('/seq/0/type', `min size ${minSize} disagrees with the layout: the fixed fields end at byte ${offset}`);
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
    ...gossip,
  };
}

function buildEnums(ksy: Ksy, file: string, problems: SpecProblem[]): EnumModel[] {
  return Object.entries(ksy.enums ?? {}).map(([id, members]) => ({
    id,
    name: pascalCase(id),
    members: Object.entries(members).map(([value, name]) => {
      if (Number(value) > 0xffffffff)
        problems.push({ file, path: `/enums/${id}/${value}`, message: 'enum value does not fit 32 bits' });
      return { name: name.toUpperCase(), value: Number(value) };
    }),
  }));
}
