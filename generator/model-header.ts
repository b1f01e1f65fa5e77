// The shared frame header (spec/gossip_header.ksy): its two fields, `size` and `msg_type`,
// their offsets and widths, and the limits that follow (HEADER_SIZE, MAX_FRAME_SIZE).
import type { SpecFile } from './ksy-types.js';
import type { HeaderField, HeaderModel } from './model.js';
import type { SpecProblem } from './spec-error.js';

const HEADER_UINTS: Record<string, 1 | 2 | 4> = { u1: 1, u2: 2, u4: 4 };

export function buildHeader(spec: SpecFile, problems: SpecProblem[]): HeaderModel | undefined {
  const { ksy, file } = spec;
  const before = problems.length;
  if ((ksy.params ?? []).length !== 3) {
    problems.push({
      file,
      path: '/params',
      message: 'the header takes exactly three params: expected type, min size, max size',
    });
  }
  if (ksy.seq.length !== 2) {
    problems.push({
      file,
      path: '/seq',
      message: 'the header has exactly two fields: size and msg_type (u1, u2 or u4)',
    });
  }
  if (ksy.meta['-gossip'])
    problems.push({ file, path: '/meta/-gossip', message: 'the header spec takes no -gossip (it is no message)' });
  const fields: HeaderField[] = [];
  let offset = 0;
  ksy.seq.forEach((attribute, index) => {
    if (attribute['-gossip'])
      problems.push({
        file,
        path: `/seq/${index}/-gossip`,
        message: 'header fields export no offset: read them with frameSizeOf / frameTypeOf',
      });
    const bytes = HEADER_UINTS[attribute.type ?? ''];
    if (bytes === undefined) {
      problems.push({
        file,
        path: `/seq/${index}/type`,
        message: `header fields are u1, u2 or u4, not '${attribute.type ?? 'bytes'}'`,
      });
      return;
    }
    fields.push({ id: attribute.id, offset, bytes, doc: attribute.doc });
    offset += bytes;
  });
  const size = fields.find((field) => field.id === 'size');
  const type = fields.find((field) => field.id === 'msg_type');
  if (!size || !type)
    problems.push({ file, path: '/seq', message: "the header's fields are named 'size' and 'msg_type'" });
  if (problems.length > before || !size || !type) return undefined;
  return {
    file,
    id: ksy.meta.id,
    doc: ksy.doc.trim(),
    docRef: ksy['doc-ref'],
    size,
    type,
    bytes: offset,
    maxFrameSize: 2 ** (8 * size.bytes) - 1,
    maxType: 2 ** (8 * type.bytes) - 1,
  };
}
