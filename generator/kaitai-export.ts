// `npm run generate -- --kaitai LANG --out DIR`: Kaitai parsers of spec/*.ksy for another
// language (any target of the Kaitai compiler: python, go, java, ...), so that another
// Gossip implementation decodes our frames with the same definitions. Written on request
// only, never committed under generated/ (that holds what this project itself uses).
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadSpecs } from './load-specs.js';
import type { SpecFile } from './ksy-types.js';

interface KaitaiImporter {
  importYaml(name: string, mode: string): Promise<unknown>;
}

interface KaitaiCompiler {
  version: string;
  languages: string[];
  compile(language: string, ksy: unknown, importer: KaitaiImporter, debugMode: boolean): Promise<Record<string, string>>;
}

const require = createRequire(import.meta.url);
// The compiler is published as UMD only (no ES module), hence require.
const compiler = require('kaitai-struct-compiler') as KaitaiCompiler;

export const KAITAI_LANGUAGES: readonly string[] = compiler.languages;
export const KAITAI_COMPILER_VERSION = compiler.version;
const USAGE = 'usage: npm run generate -- --kaitai LANG --out DIR';

/** Compiles every spec under `<root>/spec` to `language`; file name → source. */
export async function compileSpecs(root: string, language: string): Promise<Map<string, string>> {
  if (!KAITAI_LANGUAGES.includes(language)) {
    throw new Error(`unknown Kaitai target ${JSON.stringify(language)}; the compiler ${KAITAI_COMPILER_VERSION} knows ${KAITAI_LANGUAGES.join(', ')}`);
  }
  const { specs, problems } = loadSpecs(root, 'spec');
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new Error(`${problems.length} problem(s) in spec/, first: ${first.file}: ${first.path}: ${first.message}`);
  }
  const byId = new Map<string, SpecFile>(specs.map((spec) => [spec.ksy.meta.id, spec]));
  const importer: KaitaiImporter = {
    importYaml: (name) => {
      const spec = byId.get(name);
      return spec ? Promise.resolve(structuredClone(spec.ksy)) : Promise.reject(new Error(`cannot import '${name}': no spec/${name}.ksy`));
    },
  };
  const files = new Map<string, string>();
  for (const spec of specs) {
    try {
      // The compiler mutates its input, so it gets a copy.
      const output = await compiler.compile(language, structuredClone(spec.ksy), importer, false);
      for (const [name, source] of Object.entries(output)) files.set(name, source);
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
      throw new Error(`${spec.file}: Kaitai (${language}): ${message}`);
    }
  }
  return files;
}

/** Handles `--kaitai LANG --out DIR [--root DIR]`; returns the exit code. */
export async function runKaitaiExport(argv: readonly string[], defaultRoot: string): Promise<number> {
  let language: string | null = null;
  let outDir: string | null = null;
  let root = defaultRoot;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if ((arg === '--kaitai' || arg === '--out' || arg === '--root') && (value === undefined || value.startsWith('--'))) {
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
    console.log(`generate: ${files.size} ${language} parser file(s) from Kaitai ${KAITAI_COMPILER_VERSION} written to ${target}`);
    return 0;
  } catch (error) {
    console.error(`generate: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
