/**
 * The ports the conformance suite writes into spawned nodes' configs (conformance/node-files.ts):
 * free when picked, and outside the kernel's ephemeral range, which outgoing connections and
 * port-0 listeners of any process draw from between the pick and the node's bind.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { freePorts, HOST, PICKED_PORTS } from '../../conformance/node-files.js';

/** Linux's ephemeral range, else the IANA one other systems use. */
function ephemeralRange(): { from: number; to: number } {
  try {
    const [from, to] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return { from: from!, to: to! };
  } catch {
    return { from: 49_152, to: 65_535 };
  }
}

describe('conformance node files: picked ports', () => {
  it('picks distinct free ports below the ephemeral range', async () => {
    const ports = await freePorts(8);
    assert.equal(new Set(ports).size, 8);
    const ephemeral = ephemeralRange();
    for (const port of ports) {
      assert.ok(
        port >= PICKED_PORTS.from && port <= PICKED_PORTS.to,
        `${port} outside ${JSON.stringify(PICKED_PORTS)}`,
      );
      assert.ok(port < ephemeral.from || port > ephemeral.to, `${port} in the ephemeral range`);
      // Free: a node can bind it.
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, HOST, resolve);
      });
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('skips a port that is taken', async () => {
    const [taken] = await freePorts(1);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(taken, HOST, resolve));
    // The first pick is the taken port; the ones after are random again.
    const random = Math.random;
    let first = true;
    Math.random = () =>
      first
        ? ((first = false), (taken! - PICKED_PORTS.from + 0.5) / (PICKED_PORTS.to - PICKED_PORTS.from + 1))
        : random();
    try {
      const [port] = await freePorts(1);
      assert.equal(first, false, 'the taken port was looked at');
      assert.notEqual(port, taken);
    } finally {
      Math.random = random;
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
