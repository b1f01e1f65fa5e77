/**
 * An eclipse attacker for tests (docs/protocol.md §4.6 target): many loopback addresses, each
 * dialing the victim over and over and listening for anyone who dials it, each handshake done
 * correctly (it pays its proofs), and every PEER REQUEST answered with the attacker's own
 * addresses only.
 */
import net from 'node:net';
import {
  GossipHello,
  GossipPeerResponse,
  GossipVerificationRequest,
  GossipVerificationResponse,
  MessageType,
  decodeFrame,
} from '../../generated/index.js';
import { FramedSocket, frameType } from '../../runtime/api/api-client.js';
import { randomNonce } from '../../runtime/p2p/link.js';
import { toPeerAddress, type Address } from '../../runtime/p2p/peer-address.js';
import { sleep } from './network.js';
import { solveInPlace } from './raw-peer.js';

const STEP_MS = 5_000;

export class Sybil {
  readonly addresses: Address[] = [];
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<FramedSocket>();
  private isStopped = false;
  /** Handshakes the attacker completed (either side). */
  linksMade = 0;

  private constructor(private readonly difficulty: number) {}

  /** Listens on every host (any port); call `attack` to start dialing. */
  static async start(hosts: string[], difficulty: number): Promise<Sybil> {
    const sybil = new Sybil(difficulty);
    for (const host of hosts) {
      const server = net.createServer((socket) => void sybil.accepted(FramedSocket.adopt(socket)));
      await new Promise<void>((resolve) => server.listen(0, host, resolve));
      sybil.servers.push(server);
      sybil.addresses.push({ host, port: (server.address() as net.AddressInfo).port });
    }
    return sybil;
  }

  /** Every address keeps one connection to the victim, redialing whenever it closes. */
  attack(victim: Address): void {
    for (const address of this.addresses) void this.dialLoop(address, victim);
  }

  stop(): void {
    this.isStopped = true;
    for (const socket of this.sockets) socket.destroy();
    for (const server of this.servers) server.close();
  }

  private async dialLoop(from: Address, victim: Address): Promise<void> {
    while (!this.isStopped) {
      try {
        const socket = this.track(await FramedSocket.connect(victim, STEP_MS, from.host));
        socket.write(GossipHello.encode({ listenPort: from.port }));
        const ours = randomNonce();
        socket.write(GossipVerificationRequest.encode({ nonce: ours }));
        await this.prove(socket);
        if (await this.take(socket, MessageType.GOSSIP_VERIFICATION_RESPONSE)) await this.serve(socket);
      } catch {
        // refused or closed: try again shortly, as a persistent attacker would
      }
      await sleep(100 + Math.random() * 200);
    }
  }

  private async accepted(socket: FramedSocket): Promise<void> {
    this.track(socket);
    socket.write(GossipVerificationRequest.encode({ nonce: randomNonce() }));
    if (!(await this.take(socket, MessageType.GOSSIP_VERIFICATION_RESPONSE))) return socket.destroy();
    await this.prove(socket);
    await this.serve(socket);
  }

  /** Answers the peer's VERIFICATION REQUEST. */
  private async prove(socket: FramedSocket): Promise<void> {
    const request = await this.take(socket, MessageType.GOSSIP_VERIFICATION_REQUEST);
    if (!request) throw new Error('no request');
    const nonce = (decodeFrame(request) as { message: { nonce: bigint } }).message.nonce;
    const response = GossipVerificationResponse.encode({ nonce, challenge: 0n });
    solveInPlace(response, this.difficulty);
    socket.write(response);
  }

  /** Linked: answer every PEER REQUEST with our own addresses only. */
  private async serve(socket: FramedSocket): Promise<void> {
    this.linksMade++;
    while (!socket.isClosed && !this.isStopped) {
      const request = await this.take(socket, MessageType.GOSSIP_PEER_REQUEST, 60_000);
      if (!request) continue;
      const { limit, nonce } = (decodeFrame(request) as { message: { limit: number; nonce: bigint } }).message;
      const entries = this.addresses.slice(0, Math.max(1, limit)).map(toPeerAddress);
      const response = GossipPeerResponse.encode({ nonce, challenge: 0n, isIpv6: false, entries });
      solveInPlace(response, this.difficulty);
      socket.write(response);
    }
  }

  private take(socket: FramedSocket, type: number, timeoutMs = STEP_MS): Promise<Uint8Array | null> {
    return socket.take(timeoutMs, (frame) => frameType(frame) === type);
  }

  private track(socket: FramedSocket): FramedSocket {
    this.sockets.add(socket);
    socket.waitClosed(24 * 3_600_000).then(
      () => this.sockets.delete(socket),
      () => {},
    );
    return socket;
  }
}
