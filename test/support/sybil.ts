/**
 * An eclipse attacker for tests (docs/protocol.md §4.6 target): many loopback addresses, each
 * dialing the victim over and over and listening for anyone who dials it, each handshake done
 * correctly in §4.2's order by the suite's scripted peer (it pays its proofs), and every PEER
 * REQUEST answered with the attacker's own addresses only.
 */
import { SuiteListener } from '../../conformance/listener.js';
import { SuitePeer, type PeerSettings } from '../../conformance/peer.js';
import type { Address } from '../../runtime/host-port.js';
import { sleep } from './network.js';

const STEP_MS = 5_000;
/** How long a linked attacker waits for the next PEER REQUEST before it looks again. */
const SERVE_POLL_MS = 60_000;

export class Sybil {
  readonly addresses: Address[] = [];
  private readonly listeners: SuiteListener[] = [];
  private readonly peers = new Set<SuitePeer>();
  private readonly settings: PeerSettings;
  private isStopped = false;
  /** Handshakes the attacker completed (either side). */
  linksMade = 0;

  private constructor(difficulty: number) {
    this.settings = { powDifficulty: difficulty, waitMs: STEP_MS };
  }

  /** Listens on every host (any port) and accepts whoever dials; call `attack` to start dialing. */
  static async start(hosts: string[], difficulty: number): Promise<Sybil> {
    const sybil = new Sybil(difficulty);
    for (const host of hosts) {
      const listener = await SuiteListener.listen(host);
      sybil.listeners.push(listener);
      sybil.addresses.push({ host, port: listener.port });
      void sybil.acceptLoop(listener);
    }
    return sybil;
  }

  /** Every address keeps one connection to the victim, redialing whenever it closes. */
  attack(victim: Address): void {
    for (const address of this.addresses) void this.dialLoop(address, victim);
  }

  stop(): void {
    this.isStopped = true;
    for (const peer of this.peers) peer.destroy();
    for (const listener of this.listeners) listener.destroy();
  }

  private async dialLoop(from: Address, victim: Address): Promise<void> {
    while (!this.isStopped) {
      try {
        const peer = this.track(await SuitePeer.connect(victim, this.settings, from.host));
        if ((await peer.handshake(from.port)) === null) await this.serve(peer);
        peer.destroy();
      } catch {
        // refused (or the proof pool closed at the end): try again shortly, as a persistent attacker would
      }
      await sleep(100 + Math.random() * 200);
    }
  }

  private async acceptLoop(listener: SuiteListener): Promise<void> {
    while (!this.isStopped) {
      const peer = await listener.nextPeer(this.settings, SERVE_POLL_MS);
      if (peer) void this.acceptOne(this.track(peer));
    }
  }

  private async acceptOne(peer: SuitePeer): Promise<void> {
    try {
      if (!('message' in (await peer.acceptHandshake()))) await this.serve(peer);
    } catch {
      // the proof pool closed under us: the test is over
    }
    peer.destroy();
  }

  /** Linked: answer every PEER REQUEST with our own addresses only, until the link closes. */
  private async serve(peer: SuitePeer): Promise<void> {
    this.linksMade++;
    while (!peer.socket.isClosed && !this.isStopped) await peer.answerPeerRequest(this.addresses, SERVE_POLL_MS);
  }

  private track(peer: SuitePeer): SuitePeer {
    this.peers.add(peer);
    void peer.socket.waitClosed(24 * 3_600_000).then(() => this.peers.delete(peer));
    return peer;
  }
}
