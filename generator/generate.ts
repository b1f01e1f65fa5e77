// The whole pipeline as a pure function: spec directory in, map of output files out.
// main.ts writes or checks the map; tests call this directly on fixture specs.
import { IndentationText, Project, QuoteKind } from 'ts-morph';
import { emitCodec, doHeader } from './emit-codec.js';
import { emitMessagesDoc } from './emit-docs.js';
import { emitIndex } from './emit-index.js';
import { compileWithKaitai } from './kaitai.js';
import { loadSpecs } from './load-specs.js';
import { buildModel, type ProtocolModel } from './model.js';
import { SpecError } from './spec-error.js';
import { ERRORS_TS, WIRE_TS } from './static-files.js';

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

/** Checks and compiles every spec; throws SpecError listing every problem. */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const specDir = options.specDir ?? 'spec';
  const outDir = options.outDir ?? 'generated';
  const docsFile = options.docsFile ?? 'docs/messages.md';

  const loaded = loadSpecs(options.root, specDir);
  if (loaded.problems.length > 0) throw new SpecError(loaded.problems);
  const { model, problems } = buildModel(loaded.specs);
  // Kaitai runs on every spec that passed the schema, so its view is reported alongside ours.
  const kaitai = await compileWithKaitai(loaded.specs);
  if (problems.length > 0 || kaitai.problems.length > 0 || !model) throw new SpecError([...problems, ...kaitai.problems]);

  const project = new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { quoteKind: QuoteKind.Single, indentationText: IndentationText.TwoSpaces },
  });
  const files = new Map<string, string>();
  files.set(`${outDir}/errors.ts`, ERRORS_TS);
  files.set(`${outDir}/wire.ts`, WIRE_TS);
  for (const message of model.messages) {
    const path = `${outDir}/${message.moduleName}.ts`;
    files.set(path, emitCodec(project, path, message).getFullText());
  }
  files.set(`${outDir}/index.ts`, emitIndex(project, `${outDir}/index.ts`, model).getFullText());

  // Kaitai's UMD parsers are CommonJS; the package.json keeps Node from reading them as ESM.
  files.set(`${outDir}/kaitai/package.json`, '{\n  "//": "DO NOT EDIT: written by `npm run generate`. Kaitai\'s parsers are CommonJS.",\n  "type": "commonjs"\n}\n');
  for (const [name, source] of [...kaitai.files].sort(([a], [b]) => a.localeCompare(b))) {
    files.set(`${outDir}/kaitai/${name}`, `${doHeader(`${specDir}/*.ksy by kaitai-struct-compiler`).trimEnd()}\n${source}`);
  }
  files.set(docsFile, emitMessagesDoc(model));
  return { model, files };
}
