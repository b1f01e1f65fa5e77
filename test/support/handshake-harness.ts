/**
 * The P2P handshake in-process (runtime/p2p/handshake.ts), for tests: a fake clock, a link
 * table, known peers and a proof solver that finishes only when the test releases it.
 */
import pino from 'pino';
import { GossipVerificationResponse, MessageType } from '../../generated/index.js';
import { Handshake, type HandshakeSettings, type ProofSolver } from '../../runtime/p2p/handshake.js';
import { KnownPeers } from '../../runtime/p2p/known-peers.js';
import { LinkTable } from '../../runtime/p2p/link-table.js';
import { proveInline } from '../../conformance/proofs.js';
import { FakeClock } from './fake-clock.js';
import { FakeConnection } from './fake-connection.js';

/** Proof-of-work difficulty of these tests: cheap enough to solve inline. */
export const BITS = 4;

export const HANDSHAKE_SETTINGS: HandshakeSettings = {
  powDifficulty: BITS,
  handshakeTimeoutMs: 5_000,
  verificationTimeoutMs: 60_000,
  degree: 2,
  maxPeers: 4,
  maxHandshakesPerAddress: 2,
  maxHandshakesPerSubnet: 3,
  subnetCapExemptLoopback: true,
};

/** Solves like the pool would, but only when the test releases it; counts what it was asked. */
export class ManualSolver implements ProofSolver {
  readonly asked: Uint8Array[] = [];
  private readonly waiting: (() => void)[] = [];

  solve(frame: Uint8Array, offset: number, bits: number, signal?: AbortSignal): Promise<bigint> {
    this.asked.push(Uint8Array.from(frame));
    return new Promise((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(new Error('aborted')));
      this.waiting.push(() => resolve(new DataView(proveInline(frame, bits).buffer).getBigUint64(offset)));
    });
  }

  /** Finishes every proof asked for so far and lets the awaiting code run. */
  async release(): Promise<void> {
    for (const finish of this.waiting.splice(0)) finish();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export interface HandshakeHarness {
  readonly clock: FakeClock;
  readonly links: LinkTable;
  readonly known: KnownPeers;
  readonly solver: ManualSolver;
  readonly handshake: Handshake;
}

/** A node listening at 10.9.9.9:6001 with `settings` over HANDSHAKE_SETTINGS. */
export function handshakeHarness(settings: Partial<HandshakeSettings> = {}): HandshakeHarness {
  const clock = new FakeClock();
  const logger = pino({ level: 'silent' });
  const links = new LinkTable(logger);
  const known = new KnownPeers({ perV4Subnet: 100, perV6Subnet: 100, isLoopbackExempt: true });
  const solver = new ManualSolver();
  const observer = { proofSolved: () => {}, activeLinks: () => {}, knownPeers: () => {} };
  const self = { listen: { host: '10.9.9.9', port: 6001 } };
  const handshake = new Handshake(
    links,
    known,
    solver,
    self,
    { ...HANDSHAKE_SETTINGS, ...settings },
    clock,
    logger,
    observer,
  );
  return { clock, links, known, solver, handshake };
}

/**
 * A dialer from `host` that greets, proves and gets our proof: its connection and its link's
 * phase at the end ('active' or 'referral', or closed).
 */
export async function verifiedNewcomer(
  { links, handshake, solver }: HandshakeHarness,
  host: string,
): Promise<{ fake: FakeConnection; phase: string }> {
  const fake = new FakeConnection(host, true);
  fake.onClose = (reason) => links.remove(fake.asConnection(), reason);
  handshake.accept(fake.asConnection());
  const link = links.get(fake.asConnection())!;
  handshake.hello(link, 7001);
  handshake.request(link, 42n);
  const nonce = fake.sentOf(MessageType.GOSSIP_VERIFICATION_REQUEST)[0]!.message.nonce;
  handshake.proof(link, nonce, proveInline(GossipVerificationResponse.encode({ nonce, challenge: 0n }), BITS));
  await solver.release();
  return { fake, phase: link.state.phase };
}
