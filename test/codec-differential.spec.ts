// Differential test: our generated decoders against the parsers Kaitai Struct
// compiles from the same .ksy files, on hand-written vectors and on ≥10,000 random and
// mutated inputs per message. Where both accept, the fields agree exactly; where ours
// rejects, the reason is a docs/protocol.md §1 rule that holds for those bytes.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import {
  DecodeError,
  GossipAnnounce,
  GossipGraft,
  GossipHello,
  GossipIhave,
  GossipPrune,
  GossipNotification,
  GossipNotify,
  GossipPeerRequest,
  GossipPeerResponse,
  GossipValidation,
  GossipVerificationRequest,
  GossipVerificationResponse,
} from '../generated/index.js';
import { VALID_VECTORS, fromHex } from './vectors/messages.js';

const require = createRequire(import.meta.url);

interface KaitaiStreamInstance {
  readU4be(): number;
  readU8be(): number | bigint;
}
type KaitaiStreamClass = new (buffer: ArrayBuffer) => KaitaiStreamInstance;
type KaitaiParser = new (stream: KaitaiStreamInstance) => Record<string, unknown>;

const KaitaiStream = require('kaitai-struct/KaitaiStream') as KaitaiStreamClass;

/** Seed for every property; printed so that a failure can be replayed (FC_SEED=… npm test). */
const SEED = Number(process.env['FC_SEED'] ?? 0x5eed_2024);
const RUNS_PER_MESSAGE = Number(process.env['FC_RUNS'] ?? 10_000);

interface Codec {
  type: number;
  title: string;
  decode(frame: Uint8Array): object;
  encode(message: never): Uint8Array;
}

/** Size limits per type, written from docs/protocol.md §3–§4 (not from the specs), for the oracle. */
const LIMITS: Record<number, { min: number; max: number; entry?: (bytes: Uint8Array) => number }> = {
  500: { min: 8, max: 65535 },
  501: { min: 8, max: 8 },
  502: { min: 8, max: 65535 },
  503: { min: 8, max: 8 },
  504: { min: 16, max: 16 },
  505: { min: 24, max: 65535, entry: (bytes) => ((bytes[20]! & 0x80) !== 0 ? 18 : 6) },
  506: { min: 12, max: 12 },
  507: { min: 20, max: 20 },
  508: { min: 8, max: 8 },
  509: { min: 8, max: 2056, entry: () => 8 },
  510: { min: 8, max: 2056, entry: () => 8 },
  511: { min: 8, max: 8 },
};

const bytesArb = (maxLength: number) => fc.uint8Array({ maxLength });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn });
/** 0 to 256 item ids (IHAVE, GRAFT: docs/protocol.md §4.8). */
const itemIds = fc.array(fc.record({ id: fc.uint8Array({ minLength: 8, maxLength: 8 }) }), { maxLength: 256 });

const CASES: { codec: Codec; parser: string; messages: fc.Arbitrary<Uint8Array> }[] = [
  {
    codec: GossipAnnounce,
    parser: 'GossipAnnounce',
    messages: fc
      .record({ ttl: fc.integer({ min: 0, max: 255 }), dataType: u16, data: bytesArb(200) })
      .map((m) => GossipAnnounce.encode(m)),
  },
  {
    codec: GossipNotify,
    parser: 'GossipNotify',
    messages: fc.record({ dataType: u16 }).map((m) => GossipNotify.encode(m)),
  },
  {
    codec: GossipNotification,
    parser: 'GossipNotification',
    messages: fc
      .record({ messageId: u16, dataType: u16, data: bytesArb(200) })
      .map((m) => GossipNotification.encode(m)),
  },
  {
    codec: GossipValidation,
    parser: 'GossipValidation',
    messages: fc.record({ messageId: u16, valid: fc.boolean() }).map((m) => GossipValidation.encode(m)),
  },
  {
    codec: GossipPeerRequest,
    parser: 'GossipPeerRequest',
    messages: fc
      .record({ limit: fc.integer({ min: 0, max: 255 }), nonce: u64 })
      .map((m) => GossipPeerRequest.encode(m)),
  },
  {
    codec: GossipPeerResponse,
    parser: 'GossipPeerResponse',
    messages: fc
      .boolean()
      .chain((isIpv6) =>
        fc.record({
          nonce: u64,
          challenge: u64,
          isIpv6: fc.constant(isIpv6),
          entries: fc.array(
            fc.record({ addr: fc.uint8Array({ minLength: isIpv6 ? 16 : 4, maxLength: isIpv6 ? 16 : 4 }), port: u16 }),
            { maxLength: 40 },
          ),
        }),
      )
      .map((m) => GossipPeerResponse.encode(m)),
  },
  {
    codec: GossipVerificationRequest,
    parser: 'GossipVerificationRequest',
    messages: fc.record({ nonce: u64 }).map((m) => GossipVerificationRequest.encode(m)),
  },
  {
    codec: GossipVerificationResponse,
    parser: 'GossipVerificationResponse',
    messages: fc.record({ nonce: u64, challenge: u64 }).map((m) => GossipVerificationResponse.encode(m)),
  },
  {
    codec: GossipHello,
    parser: 'GossipHello',
    messages: fc.record({ listenPort: u16 }).map((m) => GossipHello.encode(m)),
  },
  {
    codec: GossipIhave,
    parser: 'GossipIhave',
    messages: itemIds.map((ids) => GossipIhave.encode({ ids })),
  },
  {
    codec: GossipGraft,
    parser: 'GossipGraft',
    messages: itemIds.map((ids) => GossipGraft.encode({ ids })),
  },
  {
    codec: GossipPrune,
    parser: 'GossipPrune',
    messages: fc.constant(GossipPrune.encode({})),
  },
];

/** Mutations that hit every rule: flipped bytes, cut, extended, rewritten size or type. */
function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc
      .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }))
      .map(([bytes, edits]) => {
        const copy = bytes.slice();
        for (const [at, value] of edits) copy[at % copy.length] = value;
        return copy;
      }),
    fc.tuple(valid, fc.nat()).map(([bytes, cut]) => bytes.slice(0, cut % (bytes.length + 1))),
    fc
      .tuple(valid, fc.uint8Array({ minLength: 1, maxLength: 20 }))
      .map(([bytes, extra]) => Uint8Array.from([...bytes, ...extra])),
    fc.tuple(valid, fc.integer({ min: 0, max: 0xffff })).map(([bytes, size]) => withU16(bytes, 0, size)),
    fc.tuple(valid, fc.uint8Array({ minLength: 1, maxLength: 20 })).map(([bytes, extra]) => {
      const longer = Uint8Array.from([...bytes, ...extra]);
      return withU16(longer, 0, longer.length);
    }),
    fc.tuple(valid, fc.integer({ min: 495, max: 525 })).map(([bytes, type]) => withU16(bytes, 2, type)),
    fc.uint8Array({ maxLength: 64 }),
  );
}

function withU16(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  const copy = bytes.slice();
  if (copy.length > offset + 1) {
    copy[offset] = value >> 8;
    copy[offset + 1] = value & 0xff;
  }
  return copy;
}

function kaitaiParse(parserName: string, bytes: Uint8Array): Record<string, unknown> {
  const module = require(`../generated/kaitai/${parserName}.js`) as Record<string, KaitaiParser>;
  const Parser = module[parserName];
  assert.ok(Parser, `no Kaitai parser ${parserName}`);
  const stream = new KaitaiStream(bytes.slice().buffer);
  // Kaitai's JS runtime returns u64 as a lossy double; read it exactly so that the
  // comparison is on exact integers (the parsers only store the value).
  stream.readU8be = function readU8beExact(this: KaitaiStreamInstance): bigint {
    const high = this.readU4be();
    const low = this.readU4be();
    return (BigInt(high) << 32n) | BigInt(low);
  };
  return new Parser(stream);
}

/** Kaitai's object reduced to the properties our message has (Kaitai names them the same). */
function project(ours: unknown, theirs: unknown): unknown {
  if (ours instanceof Uint8Array) return theirs instanceof Uint8Array ? Uint8Array.from(theirs) : theirs;
  if (Array.isArray(ours))
    return Array.isArray(theirs) ? theirs.map((item, i) => project(ours[i] ?? ours[0], item)) : theirs;
  if (typeof ours === 'object' && ours !== null && typeof theirs === 'object' && theirs !== null) {
    const record = theirs as Record<string, unknown>;
    return Object.fromEntries(Object.entries(ours).map(([key, value]) => [key, project(value, record[key])]));
  }
  return theirs;
}

function normalise(value: unknown): unknown {
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return value;
}

/** True when the rule our decoder cited really holds for these bytes (docs/protocol.md §1). */
function ruleHolds(error: DecodeError, bytes: Uint8Array, type: number): boolean {
  const limits = LIMITS[type]!;
  const size = bytes.length >= 2 ? (bytes[0]! << 8) | bytes[1]! : -1;
  const frameType = bytes.length >= 4 ? (bytes[2]! << 8) | bytes[3]! : -1;
  switch (error.code) {
    case 'truncated':
      return bytes.length < 4 || (size === bytes.length && size < limits.min);
    case 'size-too-small':
      return size >= 0 && size < 4;
    case 'size-mismatch':
      return size !== bytes.length;
    case 'wrong-type':
      return frameType !== type;
    case 'wrong-fixed-size':
      return limits.min === limits.max && size !== limits.min;
    case 'partial-entry':
      return limits.entry !== undefined && (size - limits.min) % limits.entry(bytes) !== 0;
    case 'trailing-bytes':
    case 'size-too-large':
      return size > limits.max;
    case 'unknown-type':
      return false;
  }
}

function compare(codec: Codec, parser: string, bytes: Uint8Array): void {
  let ours: object | undefined;
  let ourError: unknown;
  try {
    ours = codec.decode(bytes);
  } catch (error) {
    ourError = error;
  }
  let theirs: Record<string, unknown> | undefined;
  let theirError: unknown;
  try {
    theirs = kaitaiParse(parser, bytes);
  } catch (error) {
    theirError = error;
  }
  const hex = Buffer.from(bytes).toString('hex');
  if (ours) {
    assert.ok(theirs, `${codec.title}: we accept ${hex}, Kaitai rejects: ${String(theirError)}`);
    assert.deepEqual(normalise(ours), project(ours, theirs), `${codec.title}: fields differ for ${hex}`);
    return;
  }
  assert.ok(
    ourError instanceof DecodeError,
    `${codec.title}: decoder threw a non-DecodeError for ${hex}: ${String(ourError)}`,
  );
  assert.ok(
    ruleHolds(ourError, bytes, codec.type),
    `${codec.title}: rejected ${hex} with ${ourError.message}, but that rule does not hold`,
  );
  if (theirs) {
    // Kaitai checks the header's size against the type's limits, not against the buffer.
    assert.equal(
      ourError.code,
      'size-mismatch',
      `${codec.title}: Kaitai accepts ${hex}, we reject: ${ourError.message}`,
    );
  }
}

describe('codec differential against Kaitai Struct', function () {
  this.timeout(300_000);

  before(() => {
    console.log(`      fast-check seed ${SEED}, ${RUNS_PER_MESSAGE} runs per message (replay: FC_SEED=${SEED})`);
  });

  it('agrees on every hand-written vector', () => {
    for (const vector of VALID_VECTORS) {
      const entry = CASES.find((c) => c.codec.type === vector.frame.type);
      assert.ok(entry);
      compare(entry.codec, entry.parser, fromHex(vector.hex));
    }
  });

  for (const { codec, parser, messages } of CASES) {
    it(`agrees on ${RUNS_PER_MESSAGE} valid and ${RUNS_PER_MESSAGE} mutated ${codec.title} frames`, () => {
      fc.assert(
        fc.property(messages, mutated(messages), (valid, broken) => {
          compare(codec, parser, valid);
          compare(codec, parser, broken);
        }),
        { numRuns: RUNS_PER_MESSAGE, seed: SEED },
      );
    });
  }
});
