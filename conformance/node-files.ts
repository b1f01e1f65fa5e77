/**
 * What a spawned node runs from, written before any node starts: RSA hostkeys, one INI config
 * per node (docs/protocol.md §5) and nodes.json, on free loopback ports. Apart from
 * spawner.ts, which manages the processes.
 */
import { generateKeyPair } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatEndpoint, type Endpoint } from '../runtime/entry/client.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Loopback host every spawned node listens on (tests stay on 127.0.0.0/8). */
export const HOST = '127.0.0.1';

/** What the files depend on (a part of SpawnOptions). */
export interface FileOptions {
  readonly nodes: number;
  readonly set: Readonly<Record<string, string>>;
  readonly setNode?: Readonly<Record<number, Readonly<Record<string, string>>>>;
  readonly hostkeyBits: number;
}

/** One node's files and addresses, all fixed before the first node starts (nodes.json). */
export interface NodeFiles {
  readonly index: number;
  readonly api: string;
  readonly p2p: string;
  readonly config: string;
  readonly hostkey: string;
  /** The hostkey's public half (SPKI PEM), for implementations with pre-shared identities. */
  readonly publicKey: string;
  readonly log: string;
  readonly bootstrapper: string | null;
}

/** A fresh RSA hostkey of `bits` bits: PKCS#1 private half, SPKI public half, both PEM. */
export async function makeHostkey(bits: number): Promise<{ privateKey: string; publicKey: string }> {
  return generateKeyPairAsync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
}

/**
 * Writes every hostkey, config and nodes.json of the N nodes into `workDir` (so that an
 * implementation with pre-shared identities can learn its peers); node 0 has no bootstrapper.
 */
export async function writeNodeFiles(options: FileOptions, workDir: string): Promise<NodeFiles[]> {
  const count = options.nodes;
  const keys = await Promise.all(Array.from({ length: count }, () => makeHostkey(options.hostkeyBits)));
  const ports = await freePorts(2 * count);
  const files: NodeFiles[] = keys.map((_, index) => ({
    index,
    api: formatEndpoint({ host: HOST, port: ports[2 * index]! }),
    p2p: formatEndpoint({ host: HOST, port: ports[2 * index + 1]! }),
    config: join(workDir, `node-${index}.ini`),
    hostkey: join(workDir, `node-${index}.pem`),
    publicKey: join(workDir, `node-${index}.pub.pem`),
    log: join(workDir, `node-${index}.log`),
    bootstrapper: index === 0 ? null : formatEndpoint({ host: HOST, port: ports[1]! }),
  }));
  for (const [index, node] of files.entries()) {
    writeFileSync(node.hostkey, keys[index]!.privateKey, { mode: 0o600 });
    writeFileSync(node.publicKey, keys[index]!.publicKey);
  }
  writeFileSync(join(workDir, 'nodes.json'), `${JSON.stringify(files, null, 2)}\n`);
  for (const node of files) {
    const set = { ...options.set, ...(options.setNode?.[node.index] ?? {}) };
    const peers = files
      .filter((other) => other.index !== node.index)
      .map((other) => other.p2p)
      .join(',');
    const filled = Object.fromEntries(
      Object.entries(set).map(([key, value]) => [
        key,
        fillPlaceholders(value, { index: node.index, dir: workDir, peers }),
      ]),
    );
    writeFileSync(
      node.config,
      nodeConfig({
        hostkeyPath: node.hostkey,
        api: parseHostPort(node.api),
        p2p: parseHostPort(node.p2p),
        bootstrapper: node.bootstrapper ? parseHostPort(node.bootstrapper) : null,
        set: filled,
      }),
    );
  }
  return files;
}

/** Hostkey and config of one extra node (index past the N), on fresh free ports. */
export async function writeExtraNodeFiles(
  workDir: string,
  index: number,
  hostkeyPem: string,
  bootstrapper: Endpoint | null,
  set: Readonly<Record<string, string>>,
): Promise<{ api: Endpoint; p2p: Endpoint; configPath: string; logPath: string }> {
  const [apiPort, p2pPort] = await freePorts(2);
  const api = { host: HOST, port: apiPort! };
  const p2p = { host: HOST, port: p2pPort! };
  const hostkeyPath = join(workDir, `node-${index}.pem`);
  writeFileSync(hostkeyPath, hostkeyPem, { mode: 0o600 });
  const configPath = join(workDir, `node-${index}.ini`);
  writeFileSync(configPath, nodeConfig({ hostkeyPath, api, p2p, bootstrapper, set }));
  return { api, p2p, configPath, logPath: join(workDir, `node-${index}.log`) };
}

/**
 * The INI text of one node (§5). `degree = 1` makes the others link only to node 0 (a
 * star), so a two-hop path 1 → 0 → 2 exists for the validation and ttl cases.
 */
export function nodeConfig(input: {
  hostkeyPath: string;
  api: Endpoint;
  p2p: Endpoint;
  bootstrapper: Endpoint | null;
  set: Readonly<Record<string, string>>;
}): string {
  const gossip: Record<string, string> = {
    cache_size: '50',
    degree: '1',
    p2p_address: formatEndpoint(input.p2p),
    api_address: formatEndpoint(input.api),
  };
  if (input.bootstrapper) gossip.bootstrapper = formatEndpoint(input.bootstrapper);
  const sections: Record<string, Record<string, string>> = { gossip };
  for (const [key, value] of Object.entries(input.set)) {
    const dot = key.indexOf('.');
    const [section, name] = dot > 0 ? [key.slice(0, dot), key.slice(dot + 1)] : ['gossip', key];
    (sections[section] ??= {})[name] = value;
  }
  const lines = [`; written by gossip conformance`, `hostkey = ${input.hostkeyPath}`, ''];
  for (const [section, values] of Object.entries(sections)) {
    lines.push(`[${section}]`, ...Object.entries(values).map(([key, value]) => `${key} = ${value}`), '');
  }
  return lines.join('\n');
}

/** `{index}`, `{dir}` and `{peers}` (the other nodes' P2P addresses, comma-separated) in a --set value. */
export function fillPlaceholders(value: string, fill: { index: number; dir: string; peers: string }): string {
  return value
    .replaceAll('{index}', String(fill.index))
    .replaceAll('{dir}', fill.dir)
    .replaceAll('{peers}', fill.peers);
}

export function parseHostPort(text: string): Endpoint {
  const colon = text.lastIndexOf(':');
  return { host: text.slice(0, colon), port: Number(text.slice(colon + 1)) };
}

/**
 * Where the ports of spawned nodes are picked: below the ephemeral ranges (Linux 32768-60999,
 * others 49152-65535) from which the kernel takes the local port of every outgoing connection
 * and of every listener on port 0. A node binds its port some time after the pick (it gets it
 * from its config file), and a port from those ranges could be taken meanwhile by any process
 * on the machine; the suite's port probe then finds the other process listening and takes it
 * for the node (seen with parallel test runs: a node's API refused connections for the whole
 * ready timeout).
 */
export const PICKED_PORTS = { from: 20_000, to: 32_767 } as const;

/** `count` distinct TCP ports on the loopback host, free when picked (PICKED_PORTS). */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = PICKED_PORTS.from + Math.floor(Math.random() * (PICKED_PORTS.to - PICKED_PORTS.from + 1));
    if (!ports.includes(port) && (await isFree(port))) ports.push(port);
  }
  return ports;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}
