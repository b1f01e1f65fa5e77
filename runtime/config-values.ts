/**
 * Values of the [gossip] section: INI text coerced into JSON types, judged by the JSON Schema
 * (config-schema.ts, ajv), and ajv's first error turned into the one line a user needs:
 * `<file>: [gossip] <key>: <problem>`.
 */
import { Ajv, type ErrorObject } from 'ajv';
import {
  CONFIG_FILE_SCHEMA,
  GOSSIP_KEYS,
  GOSSIP_SECTION_SCHEMA,
  REQUIRED_GOSSIP_KEYS,
  type GossipKey,
} from './config-schema.js';
import { CONFIG_SECTION } from './constants.js';
import { ConfigError, type ConfigErrorCode } from './errors.js';
import { parseHostPort, show } from './host-port.js';

/** [gossip] values after coercion: numbers, booleans and strings, by key. */
export type SectionValues = Partial<Record<GossipKey, unknown>>;

/**
 * Optional keys whose empty value means something other than "use the default" (an empty
 * `peers_file` turns the known-peers file off); they keep the empty string.
 */
const EMPTY_IS_A_VALUE: ReadonlySet<GossipKey> = new Set<GossipKey>(['peers_file']);

/** INI values are text: turn numbers and booleans into JSON types so the schema can judge them. */
export function coerceSection(section: Record<string, unknown>): SectionValues {
  const values: SectionValues = {};
  for (const key of GOSSIP_KEYS) {
    if (!(key in section)) continue;
    let value = section[key];
    if (typeof value === 'string') value = value.trim();
    const isRequired = (REQUIRED_GOSSIP_KEYS as readonly string[]).includes(key);
    if (value === '' && !isRequired && !EMPTY_IS_A_VALUE.has(key)) continue; // empty optional key: the default
    const type = GOSSIP_SECTION_SCHEMA.properties[key].type;
    if ((type === 'integer' || type === 'number') && typeof value === 'string' && NUMBER.test(value))
      value = Number(value);
    if (type === 'boolean' && typeof value === 'string') value = BOOLEAN_WORDS[value.toLowerCase()] ?? value;
    if (type === 'string' && typeof value === 'boolean') value = String(value);
    values[key] = value;
  }
  return values;
}

const NUMBER = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  yes: true,
  on: true,
  '1': true,
  false: false,
  no: false,
  off: false,
  '0': false,
};

const ajv = new Ajv({ allErrors: true, strict: true });
ajv.addFormat('host-port', { type: 'string', validate: (text: string) => parseHostPort(text).ok });
ajv.addFormat('listen-address', { type: 'string', validate: (text: string) => parseHostPort(text, true).ok });
const validateFile = ajv.compile(CONFIG_FILE_SCHEMA);

/** Judge the top-level `hostkey` and the coerced [gossip] values; throws one ConfigError. */
export function validateValues(path: string, hostkey: string | undefined, values: SectionValues): void {
  if (!validateFile({ hostkey, [CONFIG_SECTION]: values })) {
    throw describeSchemaError(path, firstError(validateFile.errors ?? []), values);
  }
}

/** Report problems in a stable order: the file's whole-section problems, then keys in schema order. */
function firstError(errors: ErrorObject[]): ErrorObject | undefined {
  const rank = (error: ErrorObject): number => {
    if (error.instancePath === '') return -1;
    const key =
      error.keyword === 'required' ? String(error.params.missingProperty) : (error.instancePath.split('/').pop() ?? '');
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
    return configFail(path, missing, 'missing-key', 'missing (required)');
  }
  const key = error.instancePath.split('/').pop() ?? '';
  if (error.instancePath === '/hostkey')
    return new ConfigError('bad-value', 'hostkey', `${path}: hostkey: must be a file path`);
  const value = values[key as GossipKey];
  const shown = value === '' ? 'an empty value' : Array.isArray(value) ? 'a list' : show(value);
  const property = GOSSIP_SECTION_SCHEMA.properties[key as GossipKey];
  switch (error.keyword) {
    case 'type':
      if (error.params.type === 'integer' && typeof value === 'number') {
        return configFail(path, key, 'not-an-integer', `must be a whole number, got ${shown}`);
      }
      if (error.params.type === 'integer' || error.params.type === 'number') {
        return configFail(path, key, 'not-a-number', `must be a number, got ${shown}`);
      }
      if (error.params.type === 'boolean')
        return configFail(path, key, 'not-a-boolean', `must be true or false, got ${shown}`);
      return configFail(path, key, 'bad-value', `must be a single value, got ${shown}`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
      return configFail(path, key, 'out-of-range', `must be ${rangeText(property)}, got ${shown}`);
    case 'enum': {
      const choices = (property as { enum?: readonly string[] }).enum ?? [];
      return configFail(path, key, 'bad-value', `must be one of ${choices.join(', ')}, got ${shown}`);
    }
    case 'format': {
      const parsed = parseHostPort(String(value), (error.params as { format?: string }).format === 'listen-address');
      return configFail(path, key, 'bad-address', parsed.ok ? 'bad address' : parsed.reason);
    }
    default:
      return configFail(path, key, 'bad-value', error.message ?? 'invalid value');
  }
}

function rangeText(property: object | undefined): string {
  const range = (property ?? {}) as { minimum?: number; maximum?: number; exclusiveMinimum?: number };
  const lower =
    range.exclusiveMinimum !== undefined ? `greater than ${range.exclusiveMinimum}` : `at least ${range.minimum}`;
  if (range.minimum !== undefined && range.maximum !== undefined) return `${range.minimum}..${range.maximum}`;
  return range.maximum === undefined ? lower : `${lower} and at most ${range.maximum}`;
}

/** The ConfigError of one [gossip] key: `<file>: [gossip] <key>: <problem>`. */
export function configFail(path: string, key: string, code: ConfigErrorCode, problem: string): ConfigError {
  return new ConfigError(code, `${CONFIG_SECTION}.${key}`, `${path}: [${CONFIG_SECTION}] ${key}: ${problem}`);
}
