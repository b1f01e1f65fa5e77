/**
 * Candidate checks (docs/protocol.md §4.3) and the peers file (§4.7).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { CandidateCheck } from '../../runtime/p2p/candidate-check.js';
import {
  PEERS_FILE_DEBOUNCE_MS,
  PeersFileWriter,
  readPeersFile,
  writePeersFile,
} from '../../runtime/p2p/peers-file.js';
import { FakeClock } from '../support/fake-clock.js';

describe('candidate checks (docs/protocol.md §4.3)', () => {
  const check = new CandidateCheck({
    listening: [
      { host: '127.0.0.5', port: 6001 },
      { host: '127.0.0.5', port: 7001 },
      { host: '::', port: 9100 },
    ],
  });

  it('refuses our own listen addresses, also IPv4-mapped, and our port on a wildcard', () => {
    assert.match(check.problemOf({ host: '127.0.0.5', port: 6001 }) ?? '', /own/);
    assert.match(check.problemOf({ host: '127.0.0.5', port: 7001 }) ?? '', /own/, 'the API port too');
    assert.match(check.problemOf({ host: '::ffff:127.0.0.5', port: 6001 }) ?? '', /own/);
    assert.match(check.problemOf({ host: '10.1.2.3', port: 9100 }) ?? '', /wildcard/);
    assert.equal(check.problemOf({ host: '127.0.0.5', port: 6002 }), null);
    assert.equal(check.problemOf({ host: '127.0.0.6', port: 6001 }), null);
  });

  it('refuses port 0, unspecified, multicast and broadcast addresses', () => {
    for (const host of ['0.0.0.0', '::', '224.0.0.1', 'ff02::1', '255.255.255.255']) {
      assert.match(check.problemOf({ host, port: 6001 }) ?? '', /unusable/, host);
    }
    assert.match(check.problemOf({ host: '192.0.2.1', port: 0 }) ?? '', /unusable/);
  });
});

describe('the peers file (docs/protocol.md §4.7)', () => {
  let directory = '';
  const logger = pino({ level: 'silent' });
  beforeEach(() => void (directory = mkdtempSync(join(tmpdir(), 'peers-file-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('round-trips peers and leaves no temporary file', () => {
    const path = join(directory, 'known-peers.json');
    writePeersFile(path, [
      { host: '192.0.2.1', port: 6001 },
      { host: '2001:db8::1', port: 6002 },
    ]);
    assert.deepEqual(readPeersFile(path, logger), [
      { host: '192.0.2.1', port: 6001 },
      { host: '2001:db8::1', port: 6002 },
    ]);
    assert.deepEqual(readdirSync(directory), ['known-peers.json']);
  });

  it('ignores a missing, corrupt or oversized file, and invalid entries', () => {
    const path = join(directory, 'known-peers.json');
    assert.deepEqual(readPeersFile(path, logger), []);
    writeFileSync(path, '{"version":1,"peers":[{"host":"192.0.2.1","port":6001');
    assert.deepEqual(readPeersFile(path, logger), []);
    writeFileSync(path, 'x'.repeat(300 * 1024));
    assert.deepEqual(readPeersFile(path, logger), []);
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        peers: [
          { host: 'nope', port: 1 },
          { host: '192.0.2.1', port: 0 },
          { host: '192.0.2.2', port: 6001 },
        ],
      }),
    );
    assert.deepEqual(readPeersFile(path, logger), [{ host: '192.0.2.2', port: 6001 }]);
  });

  it('writes once per burst of changes, and what is pending at shutdown', () => {
    const path = join(directory, 'known-peers.json');
    const clock = new FakeClock();
    let peers = [{ host: '192.0.2.1', port: 6001 }];
    const writer = new PeersFileWriter(path, () => peers, clock, logger);
    writer.changed();
    peers = [...peers, { host: '192.0.2.2', port: 6001 }];
    writer.changed();
    assert.deepEqual(readPeersFile(path, logger), [], 'debounced: nothing written yet');
    clock.advance(PEERS_FILE_DEBOUNCE_MS);
    assert.equal(readPeersFile(path, logger).length, 2);
    peers = [...peers, { host: '192.0.2.3', port: 6001 }];
    writer.changed();
    writer.close();
    assert.equal(readPeersFile(path, logger).length, 3, 'flushed at shutdown');
    peers = [];
    writer.changed();
    clock.advance(PEERS_FILE_DEBOUNCE_MS);
    assert.equal(readPeersFile(path, logger).length, 3, 'links closed by our shutdown are not removals');
  });
});
