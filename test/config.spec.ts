import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, loadConfig, readConfig, type GossipConfig } from '../runtime/config.js';
import { GOSSIP_KEYS } from '../runtime/config-schema.js';
import * as defaults from '../runtime/constants.js';
import { ConfigError } from '../runtime/errors.js';
import { generateHostKeyPem, loadHostKey } from '../runtime/hostkey.js';

const FIXTURES = new URL('./fixtures/config/', import.meta.url).pathname;

/** The four keys a file must give, valid; a case adds or replaces lines after them. */
const REQUIRED_LINES: Record<string, string> = {
  cache_size: '50',
  degree: '8',
  p2p_address: '127.0.0.1:16001',
  api_address: '127.0.0.1:17001',
};

describe('config', () => {
  let dir: string;
  let hostkey4096: string;
  before(async function () {
    this.timeout(120_000); // one 4096-bit RSA key, shared by the hostkey cases
    dir = mkdtempSync(join(tmpdir(), 'gossip-config-'));
    hostkey4096 = await generateHostKeyPem(4096);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Write an INI file into the temp dir; `gossip` replaces or removes (null) required lines. */
  function writeIni(name: string, gossip: Record<string, string | null>, top = ''): string {
    const lines = Object.entries({ ...REQUIRED_LINES, ...gossip })
      .filter((entry): entry is [string, string] => entry[1] !== null)
      .map(([key, value]) => `${key} = ${value}`);
    const path = join(dir, name);
    writeFileSync(path, `${top}\n[gossip]\n${lines.join('\n')}\n`);
    return path;
  }

  function rawIni(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  /** Assert that loading fails with one line naming the file and the key. */
  function assertRejects(path: string, key: string | null, code: string, problem: RegExp): ConfigError {
    let caught: unknown;
    try {
      loadConfig(path);
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
    assert.equal(caught.code, code);
    assert.equal(caught.key, key);
    assert.ok(caught.message.startsWith(`${path}: `), caught.message);
    if (key !== null) {
      const shown = key.startsWith('gossip.') ? `[gossip] ${key.slice('gossip.'.length)}: ` : `${key}: `;
      assert.ok(caught.message.includes(shown), `message does not name ${key}: ${caught.message}`);
    }
    assert.match(caught.message, problem);
    assert.doesNotMatch(caught.message, /[\r\n]/);
    return caught;
  }

  describe('built-in defaults', () => {
    it('loadConfig(null) listens on loopback 7001/6001 with no bootstrapper', () => {
      const config = loadConfig(null);
      assert.deepEqual(config.apiAddress, { host: '127.0.0.1', port: 7001, family: 4 });
      assert.deepEqual(config.p2pAddress, { host: '127.0.0.1', port: 6001, family: 4 });
      assert.equal(config.bootstrapper, null);
      assert.equal(config.configPath, null);
      assert.equal(config.hostkeyPath, null);
      assert.equal(config.metricsAddress, null);
    });

    it('every optional key takes the default documented in constants.ts', () => {
      const expected: Partial<GossipConfig> = {
        cacheSize: defaults.DEFAULT_CACHE_SIZE_ITEMS,
        degree: defaults.DEFAULT_DEGREE_PEERS,
        maxPeers: defaults.DEFAULT_MAX_PEERS_PER_DEGREE * defaults.DEFAULT_DEGREE_PEERS,
        powDifficulty: defaults.DEFAULT_POW_DIFFICULTY_BITS,
        validationTimeoutMs: defaults.DEFAULT_VALIDATION_TIMEOUT_S * 1000,
        verificationTimeoutMs: defaults.DEFAULT_VERIFICATION_TIMEOUT_S * 1000,
        rejoinIntervalMs: defaults.DEFAULT_REJOIN_INTERVAL_S * 1000,
        subnetCapV4: defaults.DEFAULT_SUBNET_CAP_V4_PEERS,
        subnetCapV6: defaults.DEFAULT_SUBNET_CAP_V6_PEERS,
        subnetCapExemptLoopback: defaults.DEFAULT_SUBNET_CAP_EXEMPT_LOOPBACK,
        seenSetSize: defaults.DEFAULT_SEEN_SET_SIZE_ITEMS,
        peerRequestLimit: defaults.DEFAULT_PEER_REQUEST_LIMIT,
        logLevel: defaults.DEFAULT_LOG_LEVEL,
        handshakeTimeoutMs: 5_000,
        maxHandshakesPerAddress: 2,
        maxHandshakesPerSubnet: 8,
        peerRequestIntervalMs: 60_000,
        peersFile: null,
        knowledgeBaseBytes: 32 * 1024 * 1024,
        receiveQueueBytes: 8 * 1024 * 1024,
        apiSendQueueBytes: 8 * 1024 * 1024,
        p2pSendQueueBytes: 1024 * 1024,
        sendStallTimeoutMs: 10_000,
      };
      const config = defaultConfig();
      for (const [field, value] of Object.entries(expected)) {
        assert.equal(config[field as keyof GossipConfig], value, field);
      }
    });

    it('a file with only the required keys gets the same optional defaults, max_peers = 3 x its degree', () => {
      const config = loadConfig(join(FIXTURES, 'minimal.ini'));
      const builtIn = defaultConfig();
      assert.equal(config.cacheSize, 100);
      assert.equal(config.degree, 5);
      assert.equal(config.maxPeers, 15);
      assert.equal(config.powDifficulty, builtIn.powDifficulty);
      assert.equal(config.validationTimeoutMs, builtIn.validationTimeoutMs);
      assert.equal(config.verificationTimeoutMs, builtIn.verificationTimeoutMs);
      assert.equal(config.seenSetSize, builtIn.seenSetSize);
      assert.equal(config.bootstrapper, null);
      const {
        configPath: _path,
        maxPeers: _max,
        cacheSize: _cache,
        degree: _degree,
        p2pAddress: _p2p,
        apiAddress: _api,
        ...optional
      } = config;
      const {
        configPath: _p,
        maxPeers: _m,
        cacheSize: _c,
        degree: _d,
        p2pAddress: _p2,
        apiAddress: _a,
        ...builtInOptional
      } = builtIn;
      assert.deepEqual(optional, builtInOptional);
    });
  });

  describe('valid files', () => {
    it('reads every key, converting seconds (decimals allowed) to ms', () => {
      const config = loadConfig(join(FIXTURES, 'full.ini'));
      assert.deepEqual(config, {
        configPath: join(FIXTURES, 'full.ini'),
        hostkeyPath: null,
        cacheSize: 200,
        degree: 6,
        maxPeers: 20,
        bootstrapper: { host: '::1', port: 26001, family: 6 },
        p2pAddress: { host: '::1', port: 16001, family: 6 },
        apiAddress: { host: '127.0.0.1', port: 17001, family: 4 },
        powDifficulty: 12,
        validationTimeoutMs: 2500,
        verificationTimeoutMs: 750,
        handshakeTimeoutMs: 1500,
        rejoinIntervalMs: 0,
        subnetCapV4: 2,
        subnetCapV6: 3,
        subnetCapExemptLoopback: false,
        maxHandshakesPerAddress: 3,
        maxHandshakesPerSubnet: 12,
        seenSetSize: 5000,
        peerRequestLimit: 255,
        peerRequestIntervalMs: 500,
        peersFile: join(FIXTURES, 'state/peers.json'),
        knowledgeBaseBytes: 1_048_576,
        receiveQueueBytes: 2_097_152,
        apiSendQueueBytes: 65_536,
        p2pSendQueueBytes: 131_072,
        sendStallTimeoutMs: 2500,
        dissemination: 'tree',
        graftTimeoutMs: 250,
        lazyPushDelayMs: 20,
        logLevel: 'debug',
        metricsAddress: { host: 'localhost', port: 9464, family: 'hostname' },
      } satisfies GossipConfig);
    });

    it("reads the docs/protocol.md §5 example, ignoring other modules' sections, hostkey relative to the file", () => {
      const seedDir = join(dir, 'seed');
      mkdirSync(seedDir);
      copyFileSync(join(FIXTURES, 'seed.ini'), join(seedDir, 'seed.ini'));
      writeFileSync(join(seedDir, 'hostkey.pem'), hostkey4096);
      const { config, warnings } = readConfig(join(seedDir, 'seed.ini'));
      assert.equal(config.hostkeyPath, join(seedDir, 'hostkey.pem'));
      assert.equal(config.cacheSize, 50);
      assert.equal(config.degree, 30);
      assert.deepEqual(config.bootstrapper, { host: 'p2psec.net.in.tum.de', port: 6001, family: 'hostname' });
      assert.deepEqual(config.apiAddress, { host: '131.159.15.61', port: 7001, family: 4 });
      assert.deepEqual(warnings, []);
    });

    const addresses: Array<[string, string, number, 4 | 6 | 'hostname']> = [
      ['1.2.3.4:6001', '1.2.3.4', 6001, 4],
      ['[::1]:6001', '::1', 6001, 6],
      ['[2001:db8::42]:65535', '2001:db8::42', 65535, 6],
      ['[::ffff:1.2.3.4]:1', '::ffff:1.2.3.4', 1, 6],
      ['[fe80::1%eth0]:6001', 'fe80::1%eth0', 6001, 6],
      ['localhost:6001', 'localhost', 6001, 'hostname'],
      ['p2psec.net.in.tum.de:6001', 'p2psec.net.in.tum.de', 6001, 'hostname'],
      ['node-1.example.:7', 'node-1.example.', 7, 'hostname'],
    ];
    for (const [text, host, port, family] of addresses) {
      it(`accepts the address ${text}`, () => {
        const config = loadConfig(writeIni('address.ini', { bootstrapper: text }));
        assert.deepEqual(config.bootstrapper, { host, port, family });
      });
    }

    it('returns an unknown [gossip] key as a warning instead of failing', () => {
      const path = writeIni('unknown-one.ini', { future_key: '3' });
      assert.deepEqual(readConfig(path).warnings, [`${path}: [gossip] future_key: unknown key, ignored`]);
    });

    it('summarises several unknown [gossip] keys in one warning', () => {
      const path = writeIni('unknown.ini', { future_key: '3', Degree: '9' });
      const { config, warnings } = readConfig(path);
      assert.equal(config.degree, 8);
      assert.deepEqual(warnings, [`${path}: 2 unknown keys in [gossip] ignored: future_key, Degree`]);
    });

    it('100,000 unknown keys give one warning line with the count and the first five, quickly', function () {
      this.timeout(60_000);
      const keys = Array.from({ length: 100_000 }, (_, i) => `k${i.toString(36)}=1`).join('\n');
      const path = rawIni(
        'unknown-many.ini',
        `[gossip]\n${Object.entries(REQUIRED_LINES)
          .map(([k, v]) => `${k} = ${v}`)
          .join('\n')}\n${keys}\n`,
      );
      // Quickly, in CPU time: wall time on a loaded machine says more about the machine (an
      // in-process run took 3 s of it at load 12), while a quadratic warning builder would
      // take minutes of CPU.
      const started = process.cpuUsage();
      const { warnings } = readConfig(path);
      const cpu = process.cpuUsage(started);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      assert.ok(cpuMs < 5_000, `took ${cpuMs.toFixed(0)} ms of CPU time`);
      assert.deepEqual(warnings, [`${path}: 100000 unknown keys in [gossip] ignored: k0, k1, k2, k3, k4, …`]);
    });

    it('accepts a file of exactly 1 MiB', () => {
      const head = `[gossip]\n${Object.entries(REQUIRED_LINES)
        .map(([k, v]) => `${k} = ${v}`)
        .join('\n')}\n; `;
      const path = rawIni('one-mib.ini', head + 'x'.repeat(1024 * 1024 - head.length));
      assert.equal(statSync(path).size, 1024 * 1024);
      assert.equal(loadConfig(path).degree, 8);
    });

    it('max_peers = degree + 1 (one inbound slot) is accepted', () => {
      assert.equal(loadConfig(writeIni('max-peers.ini', { degree: '8', max_peers: '9' })).maxPeers, 9);
    });

    describe('peers_file', () => {
      let keyDir: string;
      before(() => {
        keyDir = join(dir, 'keys');
        mkdirSync(keyDir, { recursive: true });
        writeFileSync(join(keyDir, 'hostkey.pem'), hostkey4096);
      });

      it('defaults to known-peers.json beside the hostkey when a hostkey is set', () => {
        const config = loadConfig(writeIni('peers-default.ini', {}, 'hostkey = keys/hostkey.pem'));
        assert.equal(config.peersFile, join(keyDir, 'known-peers.json'));
      });

      it('defaults to off (null) without a hostkey', () => {
        assert.equal(loadConfig(writeIni('peers-none.ini', {})).peersFile, null);
      });

      it('an empty value turns it off, even with a hostkey', () => {
        assert.equal(
          loadConfig(writeIni('peers-off.ini', { peers_file: '' }, 'hostkey = keys/hostkey.pem')).peersFile,
          null,
        );
      });

      it('a relative path is relative to the config file', () => {
        assert.equal(
          loadConfig(writeIni('peers-rel.ini', { peers_file: 'state/p.json' })).peersFile,
          join(dir, 'state/p.json'),
        );
        assert.equal(
          loadConfig(writeIni('peers-abs.ini', { peers_file: '/var/lib/gossip/p.json' })).peersFile,
          '/var/lib/gossip/p.json',
        );
      });
    });

    it('treats an empty optional key as absent', () => {
      const config = loadConfig(
        writeIni('empty-optional.ini', { bootstrapper: '', pow_difficulty: '', metrics_address: '' }),
      );
      assert.equal(config.bootstrapper, null);
      assert.equal(config.powDifficulty, defaults.DEFAULT_POW_DIFFICULTY_BITS);
      assert.equal(config.metricsAddress, null);
    });

    it('accepts yes/no/on/off/1/0 for booleans', () => {
      for (const [word, value] of [
        ['no', false],
        ['on', true],
        ['0', false],
        ['TRUE', true],
      ] as const) {
        const config = loadConfig(writeIni('bool.ini', { subnet_cap_exempt_loopback: word }));
        assert.equal(config.subnetCapExemptLoopback, value, word);
      }
    });

    it('warns about an RSA hostkey smaller than 4096 bits but accepts it', () => {
      const { privateKey } = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      writeFileSync(join(dir, 'small.pem'), privateKey);
      const path = writeIni('small-key.ini', {}, 'hostkey = small.pem');
      const { config, warnings } = readConfig(path);
      assert.equal(config.hostkeyPath, join(dir, 'small.pem'));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0] ?? '', /hostkey: .*2048-bit RSA key, 4096 bits expected/);
    });
  });

  describe('bad files stop start-up with one line naming file, key and problem', () => {
    it('a missing config file', () => {
      assertRejects(join(dir, 'nope.ini'), null, 'unreadable-file', /cannot read config file: no such file$/);
    });

    it('a config path that is a directory', () => {
      assertRejects(dir, null, 'unreadable-file', /cannot read config file: is a directory$/);
    });

    it('a config file without read permission', function () {
      if (process.getuid?.() === 0) this.skip(); // root reads any file
      const path = writeIni('no-read.ini', {});
      chmodSync(path, 0o000);
      assertRejects(path, null, 'unreadable-file', /permission denied$/);
    });

    it('a broken section header', () => {
      assertRejects(
        rawIni('header.ini', '[gossip\ncache_size = 1\n'),
        null,
        'malformed-ini',
        /line 1: malformed section header "\[gossip"$/,
      );
    });

    it('a line in [gossip] that is not key = value', () => {
      assertRejects(
        rawIni('no-equals.ini', '[gossip]\ncache_size = 1\ndegree 8\n'),
        null,
        'malformed-ini',
        /line 3: expected "key = value", got "degree 8"$/,
      );
    });

    it('a key given twice', () => {
      const path = writeIni('twice.ini', { 'degree = 9\ndegree': '10' });
      assertRejects(path, '[gossip] degree', 'malformed-ini', /\[gossip\] degree: given twice \(lines \d+ and \d+\)$/);
    });

    it('a file without a [gossip] section', () => {
      assertRejects(
        rawIni('no-section.ini', '[onion]\nhops = 2\n'),
        null,
        'missing-section',
        /missing section \[gossip\]$/,
      );
    });

    for (const key of Object.keys(REQUIRED_LINES)) {
      it(`a missing ${key}`, () => {
        assertRejects(
          writeIni(`missing-${key}.ini`, { [key]: null }),
          `gossip.${key}`,
          'missing-key',
          /missing \(required\)$/,
        );
      });
    }

    const badValues: Array<[string, string, string, RegExp]> = [
      ['degree', 'eight', 'not-a-number', /must be a number, got "eight"$/],
      ['cache_size', '', 'not-a-number', /must be a number, got an empty value$/],
      ['validation_timeout', '5s', 'not-a-number', /must be a number, got "5s"$/],
      ['degree', '2.5', 'not-an-integer', /must be a whole number, got 2.5$/],
      ['degree', '0', 'out-of-range', /must be 1\.\.1000, got 0$/],
      ['cache_size', '-1', 'out-of-range', /must be 1\.\.1000000, got -1$/],
      ['pow_difficulty', '65', 'out-of-range', /must be 0\.\.64, got 65$/],
      ['peer_request_limit', '256', 'out-of-range', /must be 1\.\.255, got 256$/],
      ['validation_timeout', '0', 'out-of-range', /must be greater than 0 and at most 86400, got 0$/],
      ['verification_timeout', '-3', 'out-of-range', /must be greater than 0 and at most 86400, got -3$/],
      ['rejoin_interval', '86401', 'out-of-range', /must be 0\.\.86400, got 86401$/],
      ['subnet_cap_exempt_loopback', 'maybe', 'not-a-boolean', /must be true or false, got "maybe"$/],
      ['log_level', 'loud', 'bad-value', /must be one of fatal, error, warn, info, debug, trace, silent, got "loud"$/],
      ['dissemination', 'gossipsub', 'bad-value', /must be one of tree, flood, got "gossipsub"$/],
      ['graft_timeout', '0', 'out-of-range', /must be greater than 0 and at most 86400, got 0$/],
      ['lazy_push_delay', 'soon', 'not-a-number', /must be a number, got "soon"$/],
      ['max_peers', '4', 'out-of-range', /must be greater than degree \(8\) .*inbound slots.*, got 4$/],
      ['max_peers', '8', 'out-of-range', /must be greater than degree \(8\) .*inbound slots.*, got 8$/],
      ['max_peers', '1', 'out-of-range', /must be 2\.\.10000, got 1$/],
      ['handshake_timeout', '0', 'out-of-range', /must be greater than 0 and at most 86400, got 0$/],
      ['handshake_timeout', 'soon', 'not-a-number', /must be a number, got "soon"$/],
      ['max_handshakes_per_address', '0', 'out-of-range', /must be 1\.\.10000, got 0$/],
      ['max_handshakes_per_address', '1.5', 'not-an-integer', /must be a whole number, got 1.5$/],
      ['max_handshakes_per_subnet', '10001', 'out-of-range', /must be 1\.\.10000, got 10001$/],
      ['peer_request_interval', '0', 'out-of-range', /must be greater than 0 and at most 86400, got 0$/],
      ['peer_request_interval', '86401', 'out-of-range', /must be greater than 0 and at most 86400, got 86401$/],
      ['knowledge_base_bytes', '1000', 'out-of-range', /must be 65536\.\.4294967296, got 1000$/],
      ['knowledge_base_bytes', '64MiB', 'not-a-number', /must be a number, got "64MiB"$/],
      ['receive_queue_bytes', '4294967297', 'out-of-range', /must be 65536\.\.4294967296, got 4294967297$/],
      ['api_send_queue_bytes', '65536.5', 'not-an-integer', /must be a whole number, got 65536.5$/],
      ['p2p_send_queue_bytes', '-1', 'out-of-range', /must be 65536\.\.4294967296, got -1$/],
      ['send_stall_timeout', '-1', 'out-of-range', /must be greater than 0 and at most 86400, got -1$/],
      ['seen_set_size', '10', 'out-of-range', /must be at least cache_size \(50\), got 10$/],
    ];
    for (const [key, value, code, problem] of badValues) {
      it(`${key} = ${JSON.stringify(value)} (${code})`, () => {
        assertRejects(writeIni(`bad-${key}.ini`, { [key]: value }), `gossip.${key}`, code, problem);
      });
    }

    const badAddresses: Array<[string, string, RegExp]> = [
      ['p2p_address', '1.2.3.999:6001', /"1\.2\.3\.999" is not a valid IPv4 address$/],
      ['p2p_address', '0x7f.1:6001', /"0x7f\.1" is not a valid host name$/],
      ['api_address', '::1:7001', /IPv6 address must be in brackets/],
      ['api_address', '[::1]', /missing ":port" after \[::1\]$/],
      ['api_address', '[::g]:7001', /"::g" is not a valid IPv6 address$/],
      ['api_address', '[1.2.3.4]:7001', /brackets are for IPv6 only/],
      ['bootstrapper', 'example.org', /missing ":port" in "example\.org"$/],
      ['bootstrapper', 'example.org:0', /port must be 1\.\.65535, got "0"$/],
      ['bootstrapper', 'example.org:65536', /port must be 1\.\.65535, got "65536"$/],
      ['bootstrapper', 'example.org:http', /port must be 1\.\.65535, got "http"$/],
      ['bootstrapper', 'bad_host:6001', /"bad_host" is not a valid host name$/],
      ['bootstrapper', '-lead.example:6001', /"-lead\.example" is not a valid host name$/],
      ['metrics_address', ':9464', /missing host before ":9464"$/],
      ['metrics_address', '127.0.0.1:17001', /127\.0\.0\.1:17001 is already used by api_address$/],
    ];
    for (const [key, value, problem] of badAddresses) {
      it(`${key} = ${value} (bad address)`, () => {
        assertRejects(writeIni('bad-address.ini', { [key]: value }), `gossip.${key}`, 'bad-address', problem);
      });
    }

    it('peers_file naming the hostkey file', () => {
      writeFileSync(join(dir, 'same.pem'), hostkey4096);
      const path = writeIni('peers-hostkey.ini', { peers_file: 'same.pem' }, 'hostkey = same.pem');
      assertRejects(path, 'gossip.peers_file', 'bad-value', /same\.pem is the hostkey file$/);
    });

    it('peers_file naming a directory', () => {
      assertRejects(
        writeIni('peers-dir.ini', { peers_file: '.' }),
        'gossip.peers_file',
        'bad-value',
        /is a directory$/,
      );
    });

    it('peers_file naming a device', () => {
      assertRejects(
        writeIni('peers-dev.ini', { peers_file: '/dev/null' }),
        'gossip.peers_file',
        'bad-value',
        /\/dev\/null is not a regular file$/,
      );
    });

    describe('files that are not small regular files are refused at once, unread', () => {
      /**
       * Fails at once and unread: under 1 s of CPU time (the checks take < 1 ms; CPU rather
       * than wall time, which a loaded machine stretches) and, where /proc tells, under 1 MiB
       * read by this process meanwhile (the files are 100 MB or endless).
       */
      function assertQuickReject(path: string, key: string | null, code: string, problem: RegExp): void {
        const [cpuBefore, readBefore] = [process.cpuUsage(), bytesRead()];
        assertRejects(path, key, code, problem);
        const cpu = process.cpuUsage(cpuBefore);
        const cpuMs = (cpu.user + cpu.system) / 1000;
        assert.ok(cpuMs < 1_000, `took ${cpuMs.toFixed(0)} ms of CPU time`);
        const [before, after] = [readBefore, bytesRead()];
        if (before !== null && after !== null) assert.ok(after - before < 1 << 20, `read ${after - before} bytes`);
      }
      let fifo: string | null = null;
      let big: string;
      before(function () {
        big = join(dir, 'big.ini');
        writeFileSync(big, '');
        truncateSync(big, 100_000_000); // 100 MB (sparse), one "line" of NUL bytes
        const path = join(dir, 'fifo');
        if (spawnSync('mkfifo', [path]).status === 0) fifo = path;
      });

      it('-c /dev/zero', () => {
        assertQuickReject(
          '/dev/zero',
          null,
          'unreadable-file',
          /cannot read config file: not a regular file \(a character device\)$/,
        );
      });

      it('a config that is a FIFO (no writer: opening must not wait)', function () {
        if (fifo === null) this.skip();
        assertQuickReject(fifo, null, 'unreadable-file', /cannot read config file: not a regular file \(a FIFO\)$/);
      });

      it('a config of 100 MB', () => {
        assertQuickReject(
          big,
          null,
          'unreadable-file',
          /cannot read config file: larger than 1 MiB \(100000000 bytes\)$/,
        );
      });

      it('a config of 1 MiB + 1 byte', () => {
        const path = rawIni('one-mib-plus.ini', `[gossip]\n;${'x'.repeat(1024 * 1024 - 10)}\n`);
        assertQuickReject(
          path,
          null,
          'unreadable-file',
          /cannot read config file: larger than 1 MiB \(1048577 bytes\)$/,
        );
      });

      it('hostkey = /dev/zero', () => {
        assertQuickReject(
          writeIni('hostkey-zero.ini', {}, 'hostkey = /dev/zero'),
          'hostkey',
          'bad-hostkey',
          /hostkey: cannot read \/dev\/zero: not a regular file \(a character device\)$/,
        );
      });

      it('a hostkey that is a FIFO', function () {
        if (fifo === null) this.skip();
        assertQuickReject(
          writeIni('hostkey-fifo.ini', {}, 'hostkey = fifo'),
          'hostkey',
          'bad-hostkey',
          /hostkey: cannot read .*fifo: not a regular file \(a FIFO\)$/,
        );
      });

      it('a hostkey of 100 MB', () => {
        assertQuickReject(
          writeIni('hostkey-big.ini', {}, 'hostkey = big.ini'),
          'hostkey',
          'bad-hostkey',
          /hostkey: cannot read .*big\.ini: larger than 64 KiB \(100000000 bytes\)$/,
        );
      });

      it('loadHostKey (the daemon reads the key again) is bounded too', () => {
        const started = performance.now();
        assert.throws(
          () => loadHostKey('/dev/zero'),
          /^Error: cannot read \/dev\/zero: not a regular file \(a character device\)$/,
        );
        assert.throws(() => loadHostKey(big), /larger than 64 KiB/);
        assert.ok(performance.now() - started < 1_000);
      });
    });

    it('a hostkey file that does not exist', () => {
      const path = writeIni('hostkey-missing.ini', {}, 'hostkey = keys/absent.pem');
      assertRejects(
        path,
        'hostkey',
        'bad-hostkey',
        new RegExp(`cannot read ${join(dir, 'keys/absent.pem')}: no such file$`),
      );
    });

    it('a hostkey path that is a directory', () => {
      assertRejects(writeIni('hostkey-dir.ini', {}, 'hostkey = .'), 'hostkey', 'bad-hostkey', /is a directory$/);
    });

    it('a hostkey that is not PEM', () => {
      writeFileSync(join(dir, 'garbage.pem'), 'hello');
      assertRejects(
        writeIni('hostkey-garbage.ini', {}, 'hostkey = garbage.pem'),
        'hostkey',
        'bad-hostkey',
        /not a PEM file$/,
      );
    });

    it('a hostkey that is a public key, not a private key', () => {
      const { publicKey } = generateKeyPairSync('rsa', {
        modulusLength: 1024,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      writeFileSync(join(dir, 'public.pem'), publicKey);
      assertRejects(
        writeIni('hostkey-public.ini', {}, 'hostkey = public.pem'),
        'hostkey',
        'bad-hostkey',
        /not a private key PEM$/,
      );
    });

    it('a hostkey that is not RSA', () => {
      const { privateKey } = generateKeyPairSync('ec', {
        namedCurve: 'P-256',
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      writeFileSync(join(dir, 'ec.pem'), privateKey);
      assertRejects(
        writeIni('hostkey-ec.ini', {}, 'hostkey = ec.pem'),
        'hostkey',
        'bad-hostkey',
        /not an RSA key \(found ec\)$/,
      );
    });

    it('a hostkey encrypted with a passphrase', () => {
      const { privateKey } = generateKeyPairSync('rsa', {
        modulusLength: 1024,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'secret' },
      });
      writeFileSync(join(dir, 'encrypted.pem'), privateKey);
      assertRejects(
        writeIni('hostkey-encrypted.ini', {}, 'hostkey = encrypted.pem'),
        'hostkey',
        'bad-hostkey',
        /encrypted/,
      );
    });

    it('an RSA hostkey below 2048 bits', () => {
      const { privateKey } = generateKeyPairSync('rsa', {
        modulusLength: 1024,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      });
      writeFileSync(join(dir, 'tiny.pem'), privateKey);
      assertRejects(
        writeIni('hostkey-tiny.ini', {}, 'hostkey = tiny.pem'),
        'hostkey',
        'bad-hostkey',
        /RSA key of 1024 bits is too small/,
      );
    });
  });

  it('docs/configuration.md documents every key this module reads', () => {
    const docs = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    for (const key of ['hostkey', ...GOSSIP_KEYS])
      assert.ok(docs.includes(`\`${key}\``), `docs/configuration.md misses ${key}`);
  });
});

/** Bytes this process has read (Linux /proc/self/io rchar); null elsewhere. */
function bytesRead(): number | null {
  try {
    const match = /^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}
