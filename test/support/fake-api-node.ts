/**
 * A fake Gossip node on the API side, on a loopback port it binds itself (port 0): records
 * what each client sends (chunks as they came) and lets the test reply.
 */
import net from 'node:net';

export interface FakeApiNode {
  /** `127.0.0.1:<port>` as the client tools take it. */
  readonly address: string;
  readonly received: Buffer[];
  readonly sockets: net.Socket[];
  close(): void;
}

export async function fakeApiNode(
  onConnection: (socket: net.Socket, received: Buffer[]) => void | Promise<void> = () => undefined,
): Promise<FakeApiNode> {
  const received: Buffer[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    void onConnection(socket, received);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    address,
    received,
    sockets,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
