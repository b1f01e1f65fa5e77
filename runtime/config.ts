/**
 * Loads the daemon's configuration (PROTOCOL.md §5): a Windows INI file shared with other
 * VoidPhone modules. Only the top-level `hostkey` and the [gossip] section are read; other
 * sections are ignored, and unknown keys inside [gossip] are returned as warnings (other
 * versions may add keys). Every problem throws one ConfigError whose message is ONE line
 * `<file>: <key>: <problem>`; the CLI prints it and exits 2.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import ini from 'ini';
import { CONFIG_FILE_SCHEMA, GOSSIP_KEYS, GOSSIP_SECTION_SCHEMA, REQUIRED_GOSSIP_KEYS, type GossipKey } from './config-schema.js';
import * as defaults from './constants.js';
import { ConfigError, type ConfigErrorCode } from './errors.js';
import { parseHostKeyPem } from './hostkey.js';
import { formatHostPort, parseHostPort, show, type HostPort } from './host-port.js';

export type { HostPort } from './host-port.js';

/** The validated configuration; durations in ms, addresses parsed (docs/CONTRACTS.md). */
export interface GossipConfig {
  configPath: string | null;
  /** Absolute path of the hostkey PEM, or null when the file names none. */
  hostkeyPath: string | null;
  cacheSize: number;
  degree: number;
  maxPeers: number;
  /** null: this node is the first of its network. */
  bootstrapper: HostPort | null;
  p2pAddress: HostPort;
  apiAddress: HostPort;
  powDifficulty: number;
  validationTimeoutMs: number;
  verificationTimeoutMs: number;
  /** 0 = re-joining is off. */
  rejoinIntervalMs: number;
  subnetCapV4: number;
  subnetCapV6: number;
  subnetCapExemptLoopback: boolean;
  seenSetSize: number;
  peerRequestLimit: number;
  logLevel: string;
  metricsAddress: HostPort | null;
}

/** A configuration plus the one-line warnings worth logging (unknown keys, a small hostkey). */
export interface LoadedConfig {
  config: GossipConfig;
  warnings: string[];
}

/** Load and validate `path`; null gives the built-in defaults. Throws ConfigError. */
export function loadConfig(path: string | null): GossipConfig {
  return readConfig(path).config;
}

/** As loadConfig, and also returns the warnings (the CLI logs them). */
export function readConfig(path: string | null): LoadedConfig {
  if (path === null) return { config: defaultConfig(), warnings: [] };
  const text = readConfigText(path);
  checkIniStructure(path, text);
  const root = ini.parse(text) as Record<string, unknown>;
  const section = root[defaults.CONFIG_SECTION];
  if (!isRecord(section)) {
    throw new ConfigError('missing-section', null, `${path}: missing section [${defaults.CONFIG_SECTION}]`);
  }
  const values = coerceSection(section);
  const hostkey = typeof root.hostkey === 'string' && root.hostkey.trim() !== '' ? root.hostkey.trim() : undefined;
  if (!validateFile({ hostkey, [defaults.CONFIG_SECTION]: values })) {
    throw describeSchemaError(path, firstError(validateFile.errors ?? []), values);
  }
  const config = buildConfig(path, values);
  const warnings = unknownKeys(section).map((key) => `${path}: [gossip] ${key}: unknown key, ignored`);
  if (hostkey !== undefined) {
    config.hostkeyPath = resolve(dirname(path), hostkey);
    warnings.push(...checkHostkey(path, config.hostkeyPath));
  }
  return { config, warnings };
}

/** The built-in config of `gossip daemon` without `-c`: loopback only, first node. */
export function defaultConfig(): GossipConfig {
  return buildConfig(null, {
    cache_size: defaults.DEFAULT_CACHE_SIZE_ITEMS,
    degree: defaults.DEFAULT_DEGREE_PEERS,
    p2p_address: defaults.DEFAULT_P2P_ADDRESS,
    api_address: defaults.DEFAULT_API_ADDRESS,
  });
}

/** A config as INI text (for `--check-config` output and tests). */
export function describeConfig(config: GossipConfig): string {
  const address = (value: HostPort | null): string => (value === null ? '' : formatHostPort(value));
  return [
    `hostkey = ${config.hostkeyPath ?? ''}`,
    '[gossip]',
    `cache_size = ${config.cacheSize}`,
    `degree = ${config.degree}`,
    `max_peers = ${config.maxPeers}`,
    `bootstrapper = ${address(config.bootstrapper)}`,
    `p2p_address = ${address(config.p2pAddress)}`,
    `api_address = ${address(config.apiAddress)}`,
    `pow_difficulty = ${config.powDifficulty}`,
    `validation_timeout = ${config.validationTimeoutMs / 1000}`,
    `verification_timeout = ${config.verificationTimeoutMs / 1000}`,
    `rejoin_interval = ${config.rejoinIntervalMs / 1000}`,
    `subnet_cap_v4 = ${config.subnetCapV4}`,
    `subnet_cap_v6 = ${config.subnetCapV6}`,
    `subnet_cap_exempt_loopback = ${config.subnetCapExemptLoopback}`,
    `seen_set_size = ${config.seenSetSize}`,
    `peer_request_limit = ${config.peerRequestLimit}`,
    `log_level = ${config.logLevel}`,
    `metrics_address = ${address(config.metricsAddress)}`,
  ].join('\n');
}

type SectionValues = Partial<Record<GossipKey, unknown>>;

const ajv = new Ajv({ allErrors: true, strict: true });
ajv.addFormat('host-port', { type: 'string', validate: (text: string) => parseHostPort(text).ok });
const validateFile = ajv.compile(CONFIG_FILE_SCHEMA);

function readConfigText(path: string): string {
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    throw new ConfigError('unreadable-file', null, `${path}: cannot read config file: ${fsReason(error)}`);
  }
}

/**
 * The ini package accepts anything; we reject what would silently change meaning: a broken
 * section header (anywhere: it moves every following key), and in our own parts of the file
 * a line that is not `key = value` or a key given twice. Mirrors ini's line grammar.
 */
function checkIniStructure(path: string, text: string): void {
  let section: string | null = null;
  const firstLine = new Map<string, number>();
  text.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const line = raw.trim();
    const lineNo = index + 1;
    if (line === '' || line.startsWith(';') || line.startsWith('#')) return;
    if (line.startsWith('[')) {
      const header = /^\[(.*?)\]$/.exec(line);
      if (header === null) throw malformed(path, null, `line ${lineNo}: malformed section header ${show(line)}`);
      section = header[1] ?? '';
      return;
    }
    if (section !== null && section !== defaults.CONFIG_SECTION) return;
    const where = section === null ? '' : `[${section}] `;
    const equals = line.indexOf('=');
    if (equals < 0) throw malformed(path, null, `line ${lineNo}: expected "key = value", got ${show(line)}`);
    const key = line.slice(0, equals).trim();
    if (key === '') throw malformed(path, null, `line ${lineNo}: missing key before "="`);
    const id = `${where}${key}`;
    const earlier = firstLine.get(id);
    if (earlier !== undefined) throw malformed(path, id, `${id}: given twice (lines ${earlier} and ${lineNo})`);
    firstLine.set(id, lineNo);
  });
}

function malformed(path: string, key: string | null, problem: string): ConfigError {
  return new ConfigError('malformed-ini', key, `${path}: ${problem}`);
}

/** INI values are text: turn numbers and booleans into JSON types so the schema can judge them. */
function coerceSection(section: Record<string, unknown>): SectionValues {
  const values: SectionValues = {};
  for (const key of GOSSIP_KEYS) {
    if (!(key in section)) continue;
    let value = section[key];
    if (typeof value === 'string') value = value.trim();
    const isRequired = (REQUIRED_GOSSIP_KEYS as readonly string[]).includes(key);
    if (value === '' && !isRequired) continue; // an empty optional key means "use the default"
    const type = GOSSIP_SECTION_SCHEMA.properties[key].type;
    if ((type === 'integer' || type === 'number') && typeof value === 'string' && NUMBER.test(value)) value = Number(value);
    if (type === 'boolean' && typeof value === 'string') value = BOOLEAN_WORDS[value.toLowerCase()] ?? value;
    if (type === 'string' && typeof value === 'boolean') value = String(value);
    values[key] = value;
  }
  return values;
}

const NUMBER = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
const BOOLEAN_WORDS: Record<string, boolean> = { true: true, yes: true, on: true, '1': true, false: false, no: false, off: false, '0': false };

function unknownKeys(section: Record<string, unknown>): string[] {
  return Object.keys(section).filter((key) => !(GOSSIP_KEYS as string[]).includes(key));
}

/** Report problems in a stable order: the file's whole-section problems, then keys in schema order. */
function firstError(errors: ErrorObject[]): ErrorObject | undefined {
  const rank = (error: ErrorObject): number => {
    if (error.instancePath === '') return -1;
    const key = error.keyword === 'required' ? String(error.params.missingProperty) : error.instancePath.split('/').pop() ?? '';
    return GOSSIP_KEYS.indexOf(key as GossipKey);
  };
  return [...errors].sort((a, b) => rank(a) - rank(b))[0];
}

/** Turn ajv's first error into the one line a user needs. */
function describeSchemaError(path: string, error: ErrorObject | undefined, values: SectionValues): ConfigError {
  if (error === undefined) return new ConfigError('bad-value', null, `${path}: invalid configuration`);
  if (error.keyword === 'required') {
    const missing = String(error.params.missingProperty);
    if (error.instancePath === '') {
      return new ConfigError('missing-section', null, `${path}: missing section [${missing}]`);
    }
    return fail(path, missing, 'missing-key', 'missing (required)');
  }
  const key = error.instancePath.split('/').pop() ?? '';
  if (error.instancePath === '/hostkey') return new ConfigError('bad-value', 'hostkey', `${path}: hostkey: must be a file path`);
  const value = values[key as GossipKey];
  const shown = value === '' ? 'an empty value' : Array.isArray(value) ? 'a list' : show(value);
  const property = GOSSIP_SECTION_SCHEMA.properties[key as GossipKey];
  switch (error.keyword) {
    case 'type':
      if (error.params.type === 'integer' && typeof value === 'number') {
        return fail(path, key, 'not-an-integer', `must be a whole number, got ${shown}`);
      }
      if (error.params.type === 'integer' || error.params.type === 'number') {
        return fail(path, key, 'not-a-number', `must be a number, got ${shown}`);
      }
      if (error.params.type === 'boolean') return fail(path, key, 'not-a-boolean', `must be true or false, got ${shown}`);
      return fail(path, key, 'bad-value', `must be a single value, got ${shown}`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
      return fail(path, key, 'out-of-range', `must be ${rangeText(property)}, got ${shown}`);
    case 'enum':
      return fail(path, key, 'bad-value', `must be one of ${defaults.LOG_LEVELS.join(', ')}, got ${shown}`);
    case 'format': {
      const parsed = parseHostPort(String(value));
      return fail(path, key, 'bad-address', parsed.ok ? 'bad address' : parsed.reason);
    }
    default:
      return fail(path, key, 'bad-value', error.message ?? 'invalid value');
  }
}

function rangeText(property: object | undefined): string {
  const range = (property ?? {}) as { minimum?: number; maximum?: number; exclusiveMinimum?: number };
  const lower = range.exclusiveMinimum !== undefined ? `greater than ${range.exclusiveMinimum}` : `at least ${range.minimum}`;
  if (range.minimum !== undefined && range.maximum !== undefined) return `${range.minimum}..${range.maximum}`;
  return range.maximum === undefined ? lower : `${lower} and at most ${range.maximum}`;
}

function fail(path: string, key: string, code: ConfigErrorCode, problem: string): ConfigError {
  return new ConfigError(code, `gossip.${key}`, `${path}: [gossip] ${key}: ${problem}`);
}

/** Values passed the schema; apply defaults, units and the checks that span two keys. */
function buildConfig(path: string | null, values: SectionValues): GossipConfig {
  const number = (key: GossipKey, fallback: number): number => (typeof values[key] === 'number' ? values[key] : fallback);
  const address = (key: GossipKey): HostPort | null => {
    const text = values[key];
    if (typeof text !== 'string') return null;
    const parsed = parseHostPort(text);
    if (!parsed.ok) throw fail(path ?? '(built-in config)', key, 'bad-address', parsed.reason);
    return parsed.value;
  };
  // Seconds → ms; a positive value never rounds down to 0 ms (which would mean "off" or "at once").
  const seconds = (key: GossipKey, fallback: number): number => {
    const value = number(key, fallback);
    return value > 0 ? Math.max(1, Math.round(value * 1000)) : 0;
  };
  const degree = number('degree', defaults.DEFAULT_DEGREE_PEERS);
  const cacheSize = number('cache_size', defaults.DEFAULT_CACHE_SIZE_ITEMS);
  const config: GossipConfig = {
    configPath: path === null ? null : resolve(path),
    hostkeyPath: null,
    cacheSize,
    degree,
    maxPeers: number('max_peers', defaults.DEFAULT_MAX_PEERS_PER_DEGREE * degree),
    bootstrapper: address('bootstrapper'),
    p2pAddress: address('p2p_address') as HostPort,
    apiAddress: address('api_address') as HostPort,
    powDifficulty: number('pow_difficulty', defaults.DEFAULT_POW_DIFFICULTY_BITS),
    validationTimeoutMs: seconds('validation_timeout', defaults.DEFAULT_VALIDATION_TIMEOUT_S),
    verificationTimeoutMs: seconds('verification_timeout', defaults.DEFAULT_VERIFICATION_TIMEOUT_S),
    rejoinIntervalMs: seconds('rejoin_interval', defaults.DEFAULT_REJOIN_INTERVAL_S),
    subnetCapV4: number('subnet_cap_v4', defaults.DEFAULT_SUBNET_CAP_V4_PEERS),
    subnetCapV6: number('subnet_cap_v6', defaults.DEFAULT_SUBNET_CAP_V6_PEERS),
    subnetCapExemptLoopback:
      typeof values.subnet_cap_exempt_loopback === 'boolean' ? values.subnet_cap_exempt_loopback : defaults.DEFAULT_SUBNET_CAP_EXEMPT_LOOPBACK,
    seenSetSize: number('seen_set_size', defaults.DEFAULT_SEEN_SET_SIZE_ITEMS),
    peerRequestLimit: number('peer_request_limit', defaults.DEFAULT_PEER_REQUEST_LIMIT),
    logLevel: typeof values.log_level === 'string' ? values.log_level : defaults.DEFAULT_LOG_LEVEL,
    metricsAddress: address('metrics_address'),
  };
  checkRelations(path ?? '(built-in config)', config);
  return config;
}

function checkRelations(path: string, config: GossipConfig): void {
  if (config.maxPeers < config.degree) {
    throw fail(path, 'max_peers', 'out-of-range', `must be at least degree (${config.degree}), got ${config.maxPeers}`);
  }
  if (config.seenSetSize < config.cacheSize) {
    // A cached item whose id left the seen-set would be accepted again as new (PROTOCOL.md §4.4).
    throw fail(path, 'seen_set_size', 'out-of-range', `must be at least cache_size (${config.cacheSize}), got ${config.seenSetSize}`);
  }
  const listeners: Array<[GossipKey, HostPort | null]> = [
    ['p2p_address', config.p2pAddress],
    ['api_address', config.apiAddress],
    ['metrics_address', config.metricsAddress],
  ];
  const taken = new Map<string, GossipKey>();
  for (const [key, address] of listeners) {
    if (address === null) continue;
    const id = formatHostPort(address).toLowerCase();
    const other = taken.get(id);
    if (other !== undefined) throw fail(path, key, 'bad-address', `${formatHostPort(address)} is already used by ${other}`);
    taken.set(id, key);
  }
}

/** The hostkey must exist, be readable and be an RSA private key PEM; small keys only warn. */
function checkHostkey(path: string, hostkeyPath: string): string[] {
  const problem = (text: string): ConfigError => new ConfigError('bad-hostkey', 'hostkey', `${path}: hostkey: ${text}`);
  let pem: string;
  try {
    if (statSync(hostkeyPath).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    pem = readFileSync(hostkeyPath, 'utf8');
  } catch (error) {
    throw problem(`cannot read ${hostkeyPath}: ${fsReason(error)}`);
  }
  const parsed = parseHostKeyPem(pem);
  if (!parsed.ok) throw problem(`${hostkeyPath}: ${parsed.reason}`);
  const { bits } = parsed.key;
  if (bits < defaults.HOSTKEY_MIN_BITS) {
    throw problem(`${hostkeyPath}: RSA key of ${bits} bits is too small (at least ${defaults.HOSTKEY_MIN_BITS}, ${defaults.HOSTKEY_EXPECTED_BITS} expected)`);
  }
  if (bits < defaults.HOSTKEY_EXPECTED_BITS) {
    return [`${path}: hostkey: ${hostkeyPath} is a ${bits}-bit RSA key, ${defaults.HOSTKEY_EXPECTED_BITS} bits expected`];
  }
  return [];
}

function fsReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return typeof code === 'string' ? code : String(error);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
