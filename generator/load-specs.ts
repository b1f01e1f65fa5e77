// Reads every .ksy in the spec directory and checks it against the JSON Schema of the
// supported subset. Problems are collected, not thrown one by one, so that a spec author
// sees them all at once; a spec that fails here is left out of the later stages, the others go on.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { KNOWN_KEYS, ksySchema } from './ksy-schema.js';
import type { Ksy, SpecFile } from './ksy-types.js';
import type { SpecProblem } from './spec-error.js';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateKsy = ajv.compile(ksySchema);

export interface LoadedSpecs {
  /** The specs that parsed and passed the schema. */
  specs: SpecFile[];
  problems: SpecProblem[];
  /** Ids (file names without `.ksy`) of the specs that did not: later stages skip what needs them. */
  broken: Set<string>;
}

/** Loads `<root>/<specDir>/*.ksy`, in file-name order. */
export function loadSpecs(root: string, specDir: string): LoadedSpecs {
  const dir = join(root, specDir);
  const names = readdirSync(dir)
    .filter((name) => name.endsWith('.ksy'))
    .sort();
  const specs: SpecFile[] = [];
  const problems: SpecProblem[] = [];
  const broken = new Set<string>();
  for (const name of names) {
    const before = problems.length;
    const spec = loadSpec(root, join(dir, name), problems);
    if (spec) specs.push(spec);
    if (problems.length > before) broken.add(name.slice(0, -'.ksy'.length));
  }
  return { specs, problems, broken };
}

/** One spec, or undefined with its problems added. */
function loadSpec(root: string, path: string, problems: SpecProblem[]): SpecFile | undefined {
  const file = relative(root, path).split('\\').join('/');
  const text = readFileSync(path, 'utf8');
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      problems.push({ file, path: `line ${error.linePos?.[0]?.line ?? '?'}`, message: firstLine(error.message) });
    }
    return undefined;
  }
  const value: unknown = document.toJS();
  if (!validateKsy(value)) {
    problems.push(...schemaProblems(file, validateKsy.errors ?? []));
    return undefined;
  }
  const ksy = value as unknown as Ksy;
  const expectedId = basename(path, '.ksy');
  if (ksy.meta.id !== expectedId) {
    problems.push({ file, path: '/meta/id', message: `id '${ksy.meta.id}' must equal the file name '${expectedId}'` });
    return undefined;
  }
  return { file, text, ksy };
}

function schemaProblems(file: string, errors: readonly ErrorObject[]): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    // oneOf reports every failed branch as well; the branch errors say it better.
    if (error.keyword === 'oneOf' || error.keyword === 'propertyNames') continue;
    const problem = { file, path: error.instancePath, message: describe(error) };
    const key = `${problem.path} ${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const hint = closestKey(key);
      return `unknown key '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}`;
    }
    case 'required':
      return `missing key '${String(params['missingProperty'])}'`;
    case 'const':
      return `must be ${JSON.stringify(params['allowedValue'])}`;
    case 'enum':
      return `must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return `'${String(error.data)}' must match ${String(params['pattern'])}`;
    default:
      return error.message ?? error.keyword;
  }
}

/** The known key within edit distance 2 of a misspelled one, if any. */
function closestKey(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const known of KNOWN_KEYS) {
    const distance = editDistance(key, known);
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
