// `npm run bench:codec`: decode and encode throughput of the generated codecs on a realistic
// mix, against Kaitai's parsers and a minimal hand-written DataView codec, in one run.
import { createRequire } from 'node:module';
import {
  decodeFrame,
  encodeFrame,
  frameTypeOf,
  GossipAnnounce,
  GossipNotify,
  GossipPeerResponse,
  GossipValidation,
  MessageType,
  type Frame,
} from '../generated/index.js';
import { baselineDecode, baselineEncode, type BaselineMessage } from './baseline-codec.js';

const require = createRequire(import.meta.url);
type KaitaiStreamClass = new (buffer: ArrayBuffer, byteOffset?: number) => unknown;
type KaitaiParser = new (stream: unknown) => unknown;
const KaitaiStream = require('kaitai-struct/KaitaiStream') as KaitaiStreamClass;
const kaitaiParsers: Record<number, KaitaiParser> = {};
// Kaitai names each parser class like our codec (the spec id in PascalCase).
for (const [name, codec] of Object.entries({ GossipAnnounce, GossipNotify, GossipValidation, GossipPeerResponse })) {
  const parser = (require(`../generated/kaitai/${name}.js`) as Record<string, KaitaiParser>)[name];
  if (!parser) throw new Error(`no Kaitai parser ${name}`);
  kaitaiParsers[codec.type] = parser;
}

// The mix: small NOTIFY/VALIDATION, 1 KiB and 60 KiB ANNOUNCE, PEER RESPONSE with 30 entries.
const entries = Array.from({ length: 30 }, (_, i) => ({
  addr: Uint8Array.of(10, 0, i >> 8, i & 0xff),
  port: 6001 + i,
}));
const frames: Frame[] = [
  { type: MessageType.GOSSIP_NOTIFY, message: { dataType: 1337 } },
  { type: MessageType.GOSSIP_VALIDATION, message: { messageId: 0x1234, valid: true } },
  { type: MessageType.GOSSIP_VALIDATION, message: { messageId: 0x4321, valid: false } },
  { type: MessageType.GOSSIP_ANNOUNCE, message: { ttl: 4, dataType: 1337, data: new Uint8Array(1024).fill(0x61) } },
  {
    type: MessageType.GOSSIP_ANNOUNCE,
    message: { ttl: 0, dataType: 1338, data: new Uint8Array(60 * 1024).fill(0x62) },
  },
  {
    type: MessageType.GOSSIP_PEER_RESPONSE,
    message: { nonce: 0x0123456789abcdefn, challenge: 0xfedcba9876543210n, isIpv6: false, entries },
  },
];
const encoded = frames.map(encodeFrame);
const totalBytes = encoded.reduce((sum, frame) => sum + frame.length, 0);
const baselineMessages: BaselineMessage[] = encoded.map(baselineDecode);
// Kaitai streams want an ArrayBuffer; give each frame its own so no copy is timed.
const kaitaiBuffers = encoded.map((frame) => ({ type: frameTypeOf(frame), buffer: frame.slice().buffer }));

let sink = 0;
const contestants: Record<string, () => void> = {
  'decode generated': () => {
    for (const frame of encoded) sink += decodeFrame(frame).type;
  },
  'decode hand-written': () => {
    for (const frame of encoded) sink += baselineDecode(frame).type;
  },
  'decode Kaitai': () => {
    for (const { type, buffer } of kaitaiBuffers) {
      const Parser = kaitaiParsers[type]!;
      const parsed: unknown = new Parser(new KaitaiStream(buffer));
      if (parsed) sink++;
    }
  },
  'encode generated': () => {
    for (const frame of frames) sink += encodeFrame(frame).length;
  },
  'encode hand-written': () => {
    for (const message of baselineMessages) sink += baselineEncode(message).length;
  },
};

/** Runs `round` repeatedly for about `ms` milliseconds; returns rounds per second. */
function measure(round: () => void, ms: number): number {
  const deadline = performance.now() + ms;
  let rounds = 0;
  const start = performance.now();
  while (performance.now() < deadline) {
    for (let i = 0; i < 100; i++) round();
    rounds += 100;
  }
  return rounds / ((performance.now() - start) / 1000);
}

const MEASURE_MS = Number(process.env['BENCH_MS'] ?? 1500);
const REPEATS = 3;
for (const round of Object.values(contestants)) measure(round, 300); // warm up the JIT
const results = new Map<string, number>();
for (let repeat = 0; repeat < REPEATS; repeat++) {
  // Interleaved repeats, best of three: the machine is shared, so noise only ever slows a run.
  for (const [name, round] of Object.entries(contestants))
    results.set(name, Math.max(results.get(name) ?? 0, measure(round, MEASURE_MS)));
}

const rate = (name: string): number => results.get(name) ?? Number.NaN;
console.log(
  `codec benchmark: mix of ${frames.length} frames, ${totalBytes} bytes per round (NOTIFY, 2x VALIDATION, 1 KiB + 60 KiB ANNOUNCE, PEER RESPONSE x30), Node ${process.version}`,
);
console.log('');
console.log('| codec | frames/s | MB/s |');
console.log('|---|---:|---:|');
for (const name of Object.keys(contestants)) {
  const rounds = rate(name);
  console.log(
    `| ${name} | ${Math.round(rounds * frames.length).toLocaleString('en-US')} | ${((rounds * totalBytes) / 1e6).toFixed(0)} |`,
  );
}
console.log('');
const ratios = [
  ['decode: generated / Kaitai', rate('decode generated') / rate('decode Kaitai'), 5],
  ['decode: generated / hand-written', rate('decode generated') / rate('decode hand-written'), 0.9],
  ['encode: generated / hand-written', rate('encode generated') / rate('encode hand-written'), 0.9],
] as const;
console.log('| ratio | measured | target |');
console.log('|---|---:|---:|');
for (const [name, value, target] of ratios)
  console.log(`| ${name} | ${value.toFixed(2)}x | ≥ ${target}x ${value >= target ? 'met' : 'MISSED'} |`);
if (sink === 0) console.log('(sink)');
