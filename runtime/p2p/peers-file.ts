/**
 * The peers file (docs/protocol.md §4.7): the listen addresses of verified peers, kept so that
 * a restarted node (a bootstrapper above all) finds its network again within seconds. Written
 * atomically (temporary file, then rename) a short while after the known peers changed; read
 * once at start, size-limited; a file that cannot be read or parsed is logged and ignored.
 */
import { renameSync, writeFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import type { Logger } from 'pino';
import { readRegularFile } from '../bounded-file.js';
import type { Clock, Timer } from '../core/clock.js';
import { normaliseHost, type Address } from './peer-address.js';

/** Far more than any node keeps (max_peers), small enough to read at once. */
export const PEERS_FILE_MAX_BYTES = 256 * 1024;
const MAX_PEERS_KEPT = 1_000;
/** Changes come in bursts (a node joining links several peers): one write per burst. */
export const PEERS_FILE_DEBOUNCE_MS = 1_000;

interface PeersFileContent {
  readonly version: 1;
  readonly peers: { host: string; port: number }[];
}

/** The peers in the file at `path`; [] (and one log line) when it is missing or unusable. */
export function readPeersFile(path: string, logger: Logger): Address[] {
  const read = readRegularFile(path, PEERS_FILE_MAX_BYTES);
  if (!read.ok) {
    if (!read.reason.includes('no such file')) logger.warn({ path, reason: read.reason }, 'peers file ignored');
    return [];
  }
  try {
    const content = JSON.parse(read.text) as Partial<PeersFileContent>;
    if (content.version !== 1 || !Array.isArray(content.peers)) throw new Error('not a version 1 peers file');
    return content.peers.slice(0, MAX_PEERS_KEPT).flatMap((entry) => {
      const isValid =
        typeof entry?.host === 'string' &&
        ipaddr.isValid(entry.host) &&
        Number.isInteger(entry.port) &&
        entry.port > 0 &&
        entry.port < 65_536;
      return isValid ? [{ host: normaliseHost(entry.host), port: entry.port }] : [];
    });
  } catch (error) {
    logger.warn({ path, err: (error as Error).message }, 'peers file is corrupt: ignored');
    return [];
  }
}

/** Writes `peers` to `path` atomically: readers see the old file or the new one, never half. */
export function writePeersFile(path: string, peers: readonly Address[]): void {
  const content: PeersFileContent = {
    version: 1,
    peers: peers.slice(0, MAX_PEERS_KEPT).map(({ host, port }) => ({ host, port })),
  };
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(content)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** Debounced writer: `changed` after every change of the known peers, `flush` at shutdown. */
export class PeersFileWriter {
  private pending: Timer | null = null;
  private isClosed = false;

  constructor(
    private readonly path: string,
    private readonly current: () => readonly Address[],
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  changed(): void {
    if (this.isClosed || this.pending) return;
    this.pending = this.clock.setTimeout(() => this.write(), PEERS_FILE_DEBOUNCE_MS);
  }

  /** Writes a pending change now and stops: links closed by our own shutdown are not removals. */
  close(): void {
    if (this.pending) this.write();
    this.isClosed = true;
  }

  private write(): void {
    this.pending?.cancel();
    this.pending = null;
    try {
      writePeersFile(this.path, this.current());
    } catch (error) {
      this.logger.warn({ path: this.path, err: (error as Error).message }, 'cannot write the peers file');
    }
  }
}
