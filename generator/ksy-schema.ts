// JSON Schema (ajv) of the .ksy subset this generator understands. Anything outside it is
// a spec error, so a spec never compiles with Kaitai yet silently means something else here.

const identifier = { type: 'string', pattern: '^[a-z][a-z0-9_]*$' } as const;
const docText = { type: 'string', minLength: 1 } as const;
const docRef = { type: 'string', pattern: '^docs/protocol\\.md §[0-9]+(\\.[0-9]+)*$' } as const;

/** The daemon's ports, in the order the generated `<PORT>_ACCEPTED_TYPES` sets are emitted. */
export const PORTS = ['api', 'p2p'] as const;

// Custom keys start with '-': the Kaitai compiler (0.11) skips any key that does, at any level.
const gossipMeta = {
  type: 'object',
  additionalProperties: false,
  required: ['ports'],
  properties: {
    ports: { type: 'array', uniqueItems: true, items: { enum: PORTS } },
    handshake: { type: 'boolean' },
    priority: { type: 'boolean' },
    droppable: { type: 'boolean' },
  },
} as const;

const gossipField = {
  type: 'object',
  additionalProperties: false,
  required: ['export-offset'],
  properties: { 'export-offset': { type: 'string', pattern: '^[A-Z][A-Z0-9_]*_OFFSET$' } },
} as const;

const validSpec = {
  oneOf: [
    { type: ['integer', 'string'] },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        eq: { type: ['integer', 'string'] },
        min: { type: ['integer', 'string'] },
        max: { type: ['integer', 'string'] },
      },
    },
  ],
} as const;

const attribute = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'doc'],
  properties: {
    id: identifier,
    type: { type: 'string', minLength: 1 },
    size: { type: ['integer', 'string'] },
    'size-eos': { const: true },
    repeat: { const: 'eos' },
    enum: identifier,
    valid: validSpec,
    doc: docText,
    'doc-ref': docRef,
    '-gossip': gossipField,
  },
} as const;

const param = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'type', 'doc'],
  properties: { id: identifier, type: { enum: ['u1', 'u2', 'u4', 'bool'] }, doc: docText },
} as const;

const typeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['seq', 'doc'],
  properties: {
    doc: docText,
    'doc-ref': docRef,
    params: { type: 'array', items: param },
    seq: { type: 'array', minItems: 1, items: attribute },
  },
} as const;

/** Schema of one .ksy file of the supported subset. */
export const ksySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['meta', 'doc', 'seq'],
  properties: {
    meta: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'title', 'endian'],
      properties: {
        id: identifier,
        title: docText,
        endian: { const: 'be' },
        imports: { type: 'array', items: identifier },
        '-gossip': gossipMeta,
      },
    },
    doc: docText,
    'doc-ref': docRef,
    params: { type: 'array', items: param },
    seq: { type: 'array', minItems: 1, items: attribute },
    types: { type: 'object', propertyNames: identifier, additionalProperties: typeBody },
    enums: {
      type: 'object',
      propertyNames: identifier,
      additionalProperties: {
        type: 'object',
        propertyNames: { pattern: '^[0-9]+$' },
        additionalProperties: identifier,
      },
    },
  },
} as const;

/** Keys allowed at each level, for "did you mean" hints on a misspelled key. */
export const KNOWN_KEYS: readonly string[] = [
  ...Object.keys(ksySchema.properties),
  ...Object.keys(ksySchema.properties.meta.properties),
  ...Object.keys(attribute.properties),
  ...Object.keys(param.properties),
  ...Object.keys(typeBody.properties),
  ...Object.keys(gossipMeta.properties),
  ...Object.keys(gossipField.properties),
  'eq',
  'min',
  'max',
];
