#!/usr/bin/env node
// `npm run typecheck` and `npm run lint` in one process, as `npm test` runs them: the
// TypeScript program of tsconfig.json is built once, its diagnostics are what `tsc --noEmit`
// reports, and ESLint's type-checked rules read their types from that same program instead of
// building their own (eslint.config.js unchanged otherwise). A file ESLint lints that the
// program lacks is an error, as with `eslint .`. Exit 1 when either finds an error.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function createProgram() {
  const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail([d]) };
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, host);
  if (config.errors.length > 0) fail(config.errors);
  return ts.createProgram({
    rootNames: config.fileNames,
    options: config.options,
    host: ts.createCompilerHost(config.options),
  });
}

const formatHost = {
  getCanonicalFileName: (name) => name,
  getCurrentDirectory: () => root,
  getNewLine: () => '\n',
};

/** As tsc prints them: with colour and source lines on a terminal, one line each otherwise. */
function format(diagnostics) {
  return process.stdout.isTTY
    ? ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost)
    : ts.formatDiagnostics(diagnostics, formatHost);
}

function fail(diagnostics) {
  process.stdout.write(format(diagnostics));
  process.exit(1);
}

const program = createProgram();
const diagnostics = ts.getPreEmitDiagnostics(program);
if (diagnostics.length > 0) {
  process.stdout.write(format(diagnostics));
  process.stdout.write(`\nFound ${diagnostics.length} TypeScript error(s).\n`);
}

const eslint = new ESLint({
  cwd: root,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, programs: [program] } } },
});
const results = await eslint.lintFiles(['.']);
const text = await (await eslint.loadFormatter('stylish')).format(results);
if (text) process.stdout.write(text);
const lintErrors = results.reduce((sum, result) => sum + result.errorCount, 0);

process.exitCode = diagnostics.length > 0 || lintErrors > 0 ? 1 : 0;
