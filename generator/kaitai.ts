// The one wrapper of the official Kaitai Struct compiler (its JS build, no Java): it compiles
// the specs for `npm run generate` (JavaScript parsers for the differential tests, and a second,
// independent check of every spec) and for `--kaitai LANG` (generator/kaitai-export.ts).
import { createRequire } from 'node:module';
import type { SpecFile } from './ksy-types.js';
import type { SpecProblem } from './spec-error.js';

interface KaitaiImporter {
  importYaml(name: string, mode: string): Promise<unknown>;
}

interface KaitaiCompiler {
  version: string;
  languages: string[];
  compile(
    language: string,
    ksy: unknown,
    importer: KaitaiImporter,
    debugMode: boolean,
  ): Promise<Record<string, string>>;
}

const require = createRequire(import.meta.url);
// The compiler is published as UMD only (no ES module), hence require.
const compiler = require('kaitai-struct-compiler') as KaitaiCompiler;

export const KAITAI_VERSION = compiler.version;
/** Every target language of the compiler (python, go, java, ...). */
export const KAITAI_LANGUAGES: readonly string[] = compiler.languages;

export interface KaitaiOutput {
  /** Parser file name (e.g. `GossipHello.js`) to source. */
  files: Map<string, string>;
  problems: SpecProblem[];
}

/**
 * Compiles every spec to `language`; a compiler error becomes one problem line. Imports are
 * served from `specs` (plus `imports`: specs that are only imported, never compiled here).
 */
export async function compileWithKaitai(
  specs: readonly SpecFile[],
  language = 'javascript',
  imports: readonly SpecFile[] = [],
): Promise<KaitaiOutput> {
  if (!KAITAI_LANGUAGES.includes(language)) {
    throw new Error(
      `unknown Kaitai target ${JSON.stringify(language)}; the compiler ${KAITAI_VERSION} knows ${KAITAI_LANGUAGES.join(', ')}`,
    );
  }
  const byId = new Map([...imports, ...specs].map((spec) => [spec.ksy.meta.id, spec]));
  const importer: KaitaiImporter = {
    importYaml: (name) => {
      const spec = byId.get(name);
      return spec
        ? Promise.resolve(structuredClone(spec.ksy))
        : Promise.reject(new Error(`cannot import '${name}': no spec/${name}.ksy`));
    },
  };
  const files = new Map<string, string>();
  const problems: SpecProblem[] = [];
  for (const spec of specs) {
    try {
      // The compiler mutates its input, so it gets a copy.
      const output = await compiler.compile(language, structuredClone(spec.ksy), importer, false);
      for (const [name, source] of Object.entries(output)) files.set(name, source);
    } catch (error) {
      problems.push(toProblem(spec.file, error));
    }
  }
  return { files, problems };
}

function toProblem(file: string, error: unknown): SpecProblem {
  const text = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  // Kaitai reports "<type>: /seq/0/type: error: <what>".
  const match = /^(?:io\.kaitai\.\S+: )?(?:\S+: )?(\/\S*): error: (.*)$/.exec(text);
  return match
    ? { file, path: match[1] ?? '', message: `Kaitai: ${match[2] ?? ''}` }
    : { file, path: '', message: `Kaitai: ${text}` };
}
