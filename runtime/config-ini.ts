/**
 * The config file as INI text (docs/protocol.md §5): a bounded read of the file, the structure
 * checks the `ini` package does not make, and the one warning that summarises unknown keys.
 * Problems throw one ConfigError whose message is one line `<file>: <problem>`.
 */
import ini from 'ini';
import { readRegularFile } from './bounded-file.js';
import { GOSSIP_KEYS } from './config-schema.js';
import { CONFIG_FILE_MAX_BYTES, CONFIG_SECTION, UNKNOWN_KEYS_SHOWN } from './constants.js';
import { ConfigError } from './errors.js';
import { show } from './host-port.js';

/** The parsed file: its top level and the [gossip] section, values still text. */
export interface ConfigIni {
  root: Record<string, unknown>;
  section: Record<string, unknown>;
}

/** Read, check and parse a config file. Throws ConfigError. */
export function parseConfigFile(path: string): ConfigIni {
  const text = readConfigText(path);
  checkIniStructure(path, text);
  const root = ini.parse(text) as Record<string, unknown>;
  const section = root[CONFIG_SECTION];
  if (!isRecord(section)) {
    throw new ConfigError('missing-section', null, `${path}: missing section [${CONFIG_SECTION}]`);
  }
  return { root, section };
}

/** A regular file of at most CONFIG_FILE_MAX_BYTES (1 MiB), read without a byte more. */
function readConfigText(path: string): string {
  const file = readRegularFile(path, CONFIG_FILE_MAX_BYTES);
  if (!file.ok) throw new ConfigError('unreadable-file', null, `${path}: cannot read config file: ${file.reason}`);
  return file.text.replace(/^\uFEFF/, '');
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
    if (section !== null && section !== CONFIG_SECTION) return;
    const where = section === null ? '' : `[${section}] `;
    const equals = line.indexOf('=');
    if (equals < 0) throw malformed(path, null, `line ${lineNo}: expected "key = value", got ${show(line)}`);
    const key = line.slice(0, equals).trim();
    if (key === '') throw malformed(path, null, `line ${lineNo}: missing key before "="`);
    const id = `${where}${key}`;
    const earlier = firstLine.get(id);
    if (earlier !== undefined) {
      const shown = `${where}${showKey(key)}`;
      throw malformed(path, id, `${shown}: given twice (lines ${earlier} and ${lineNo})`);
    }
    firstLine.set(id, lineNo);
  });
}

function malformed(path: string, key: string | null, problem: string): ConfigError {
  return new ConfigError('malformed-ini', key, `${path}: ${problem}`);
}

/**
 * Unknown keys of [gossip] (other versions may add keys) as at most ONE warning line: one key
 * is named alone; more are counted and the first UNKNOWN_KEYS_SHOWN named, however many.
 */
export function unknownKeysWarnings(path: string, section: Record<string, unknown>): string[] {
  const known = new Set<string>(GOSSIP_KEYS);
  const unknown = Object.keys(section).filter((key) => !known.has(key));
  const [first] = unknown;
  if (first === undefined) return [];
  if (unknown.length === 1) return [`${path}: [${CONFIG_SECTION}] ${showKey(first)}: unknown key, ignored`];
  const named = unknown.slice(0, UNKNOWN_KEYS_SHOWN).map(showKey).join(', ');
  const more = unknown.length > UNKNOWN_KEYS_SHOWN ? ', …' : '';
  return [`${path}: ${unknown.length} unknown keys in [${CONFIG_SECTION}] ignored: ${named}${more}`];
}

/** A key as written when it is short and plain, else quoted and cut (keys come from the file). */
function showKey(key: string): string {
  return /^[\x21-\x7e]{1,40}$/.test(key) && !key.includes(',') ? key : show(key);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
