// `npm run generate -- --kaitai LANG --out DIR`: Kaitai parsers of spec/*.ksy for another
// language (any target of the Kaitai compiler: python, go, java, ...), so that another
// Gossip implementation decodes our frames with the same definitions. Written on request
// only, never committed under generated/ (that holds what this project itself uses).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { compileWithKaitai, KAITAI_VERSION } from './kaitai.js';
import { loadSpecs } from './load-specs.js';
import { formatProblem } from './spec-error.js';

const USAGE = 'usage: npm run generate -- --kaitai LANG --out DIR';

/** Compiles every spec under `<root>/spec` to `language`; file name → source. Throws naming every problem. */
export async function compileSpecs(root: string, language: string): Promise<Map<string, string>> {
  const loaded = loadSpecs(root, 'spec');
  const compiled = await compileWithKaitai(loaded.specs, language);
  const problems = [...loaded.problems, ...compiled.problems];
  if (problems.length > 0)
    throw new Error(`${problems.length} problem(s) in spec/:\n${problems.map(formatProblem).join('\n')}`);
  return compiled.files;
}

/** Handles `--kaitai LANG --out DIR [--root DIR]`; returns the exit code. */
export async function runKaitaiExport(argv: readonly string[], defaultRoot: string): Promise<number> {
  let language: string | null = null;
  let outDir: string | null = null;
  let root = defaultRoot;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (
      (arg === '--kaitai' || arg === '--out' || arg === '--root') &&
      (value === undefined || value.startsWith('--'))
    ) {
      console.error(`generate: ${arg} needs a value (${USAGE})`);
      return 2;
    }
    if (arg === '--kaitai') language = argv[++i]!;
    else if (arg === '--out') outDir = argv[++i]!;
    else if (arg === '--root') root = argv[++i]!;
    else {
      console.error(`generate: unknown argument ${arg ?? ''} with --kaitai (${USAGE})`);
      return 2;
    }
  }
  if (language === null || outDir === null) {
    console.error(`generate: --kaitai needs both a language and --out DIR (${USAGE})`);
    return 2;
  }
  try {
    const files = await compileSpecs(root, language);
    const target = resolve(outDir);
    for (const [name, source] of files) {
      mkdirSync(dirname(join(target, name)), { recursive: true });
      writeFileSync(join(target, name), source);
    }
    console.log(
      `generate: ${files.size} ${language} parser file(s) from Kaitai ${KAITAI_VERSION} written to ${target}`,
    );
    return 0;
  } catch (error) {
    console.error(`generate: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
