// The whole pipeline as a pure function: spec directory in, map of output files out.
// main.ts writes or checks the map; tests call this directly on fixture specs.
import { formatTypeScript } from './format.js';
import { readFileSync } from 'node:fs';
import { IndentationText, Project, QuoteKind } from 'ts-morph';
import { emitCodec } from './emit-codec.js';
import { doHeader } from './emit-common.js';
import { emitHeader } from './emit-header.js';
import { emitMessagesDoc } from './emit-docs.js';
import { emitIndex } from './emit-index.js';
import { compileWithKaitai } from './kaitai.js';
import { loadSpecs } from './load-specs.js';
import { buildModel, type ProtocolModel } from './model.js';
import { SpecError } from './spec-error.js';

export interface GenerateOptions {
  /** Project root; all other paths are relative to it. */
  root: string;
  specDir?: string;
  outDir?: string;
  docsFile?: string;
}

export interface GenerateResult {
  model: ProtocolModel;
  /** Output path relative to root (forward slashes) to file content. */
  files: Map<string, string>;
}

/** Hand-written helpers in generator/templates/, copied unchanged into the output directory. */
const TEMPLATES = ['errors.ts', 'wire.ts'] as const;

function template(name: string): string {
  const text = readFileSync(new URL(`./templates/${name}`, import.meta.url), 'utf8');
  return `// DO NOT EDIT: copied by \`npm run generate\` from generator/templates/${name}.\n${text}`;
}

/** Checks and compiles every spec; throws SpecError listing every problem. */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const specDir = options.specDir ?? 'spec';
  const outDir = options.outDir ?? 'generated';
  const docsFile = options.docsFile ?? 'docs/messages.md';

  // Every stage runs on every spec that reached it, so one run reports every problem of every
  // spec: a spec that fails the schema leaves out only itself (and what imports it).
  const loaded = loadSpecs(options.root, specDir);
  const { model, problems } = buildModel(loaded.specs, loaded.broken);
  const compilable = loaded.specs.filter((spec) => !(spec.ksy.meta.imports ?? []).some((id) => loaded.broken.has(id)));
  const kaitai = await compileWithKaitai(compilable);
  // Sorted by file (stable: within a file, schema before layout before Kaitai).
  const all = [...loaded.problems, ...problems, ...kaitai.problems].sort((a, b) => a.file.localeCompare(b.file));
  if (all.length > 0 || !model) throw new SpecError(all);

  const project = new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { quoteKind: QuoteKind.Single, indentationText: IndentationText.TwoSpaces },
  });
  const files = new Map<string, string>();
  for (const name of TEMPLATES) files.set(`${outDir}/${name}`, template(name));
  files.set(`${outDir}/header.ts`, emitHeader(project, `${outDir}/header.ts`, model.header).getFullText());
  for (const message of model.messages) {
    const path = `${outDir}/${message.moduleName}.ts`;
    files.set(path, emitCodec(project, path, message, model.header).getFullText());
  }
  files.set(`${outDir}/index.ts`, emitIndex(project, `${outDir}/index.ts`, model).getFullText());

  // Kaitai's UMD parsers are CommonJS; the package.json keeps Node from reading them as ESM.
  files.set(
    `${outDir}/kaitai/package.json`,
    '{\n  "//": "DO NOT EDIT: written by `npm run generate`. Kaitai\'s parsers are CommonJS.",\n  "type": "commonjs"\n}\n',
  );
  for (const [name, source] of [...kaitai.files].sort(([a], [b]) => a.localeCompare(b))) {
    files.set(
      `${outDir}/kaitai/${name}`,
      `${doHeader(`${specDir}/*.ksy by kaitai-struct-compiler`).trimEnd()}\n${source}`,
    );
  }
  files.set(docsFile, emitMessagesDoc(model));
  await formatTypeScript(files, options.root);
  return { model, files };
}
