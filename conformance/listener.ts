/**
 * Where the suite's peer is dialed (docs/protocol.md §4.2, accepting side): a loopback listener
 * whose port the suite gives in HELLO, and that spawned nodes dial as their bootstrapper.
 */
import net from 'node:net';
import { FramedSocket } from '../runtime/entry/client.js';
import { SuitePeer, type PeerSettings } from './peer.js';
import type { CaseContext } from './types.js';

export class SuiteListener {
  private readonly accepted: FramedSocket[] = [];
  private readonly waiters = new Set<(socket: FramedSocket | null) => void>();
  private isClosed = false;

  private constructor(readonly server: net.Server) {
    server.on('connection', (socket) => {
      const framed = FramedSocket.adopt(socket);
      const [waiter] = this.waiters;
      if (waiter) waiter(framed);
      else this.accepted.push(framed);
    });
  }

  /** Listens on `host` (a loopback address; any free port). */
  static listen(host = '127.0.0.1'): Promise<SuiteListener> {
    return new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, host, () => resolve(new SuiteListener(server)));
    });
  }

  /** Listens on 127.0.0.1 for one case, which closes the listener when it ends. */
  static async open(context: CaseContext): Promise<SuiteListener> {
    return context.track(await SuiteListener.listen());
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The next inbound connection, or null after `timeoutMs` or once the listener is destroyed. */
  next(timeoutMs: number): Promise<FramedSocket | null> {
    const ready = this.accepted.shift();
    if (ready) return Promise.resolve(ready);
    if (this.isClosed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const take = (socket: FramedSocket | null): void => {
        clearTimeout(timer);
        this.waiters.delete(take);
        resolve(socket);
      };
      const timer = setTimeout(() => take(null), timeoutMs);
      this.waiters.add(take);
    });
  }

  /** The next inbound connection as a suite peer (its handshake not begun), or null as `next`. */
  async nextPeer(settings: PeerSettings, timeoutMs = settings.waitMs): Promise<SuitePeer | null> {
    const socket = await this.next(timeoutMs);
    return socket && new SuitePeer(socket, settings);
  }

  /** Stops listening and closes every connection not taken yet. */
  destroy(): void {
    this.isClosed = true;
    for (const waiter of [...this.waiters]) waiter(null);
    for (const socket of this.accepted.splice(0)) socket.destroy();
    this.server.close();
  }
}
