/**
 * The contract is docs/protocol.md, inside the repository: no file cites the course's design
 * document by its file name or a folder beside the checkout, and no comment cites a tracker's
 * issue by number (docs/protocol.md, "Citing"). Dead Markdown links are
 * test/markdown-links.spec.ts's job.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repositoryFiles } from './support/markdown-links.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEXT = /\.(ts|mts|js|mjs|cjs|md|ksy|json|ya?ml|py|sh|wat)$/;

/** Built from pieces so that this file does not match itself. */
const FORBIDDEN: ReadonlyArray<[RegExp, string]> = [
  [new RegExp(['\\bPROTOCOL', '\\.md\\b'].join('')), 'cite docs/protocol.md'],
  [new RegExp(['\\.\\./', 'shared\\b'].join('')), 'nothing outside the repository'],
  [new RegExp(['\\bissues?', ' #?\\d+'].join(''), 'i'), 'cite docs/protocol.md §N, not an issue'],
];

/** Every `file:line: text (what to do)` that breaks a citation rule. */
function badCitations(files: readonly string[], read: (file: string) => string): string[] {
  const found: string[] = [];
  for (const file of files) {
    if (!TEXT.test(file) || file === 'package-lock.json') continue;
    read(file)
      .split('\n')
      .forEach((line, index) => {
        for (const [pattern, fix] of FORBIDDEN)
          if (pattern.test(line)) found.push(`${file}:${index + 1}: ${line.trim()} (${fix})`);
      });
  }
  return found;
}

describe('citations', () => {
  it('every file cites the contract as docs/protocol.md and nothing outside the repository', () => {
    const found = badCitations(repositoryFiles(ROOT), (file) => readFileSync(path.join(ROOT, file), 'utf8'));
    assert.deepEqual(found, []);
  });

  it('would catch each kind of slip (the scanner itself)', () => {
    const files: Record<string, string> = {
      'a.ts': ['// see P', 'ROTOCOL.md §4'].join(''),
      'b.md': ['[spec](../sha', 'red/design/x.md)'].join(''),
      'c.ksy': ['doc-ref: iss', 'ue 3 item 6'].join(''),
      'd.ts': '// docs/protocol.md §4.2 item 4',
      'e.png': ['P', 'ROTOCOL.md'].join(''),
    };
    const found = badCitations(Object.keys(files), (file) => files[file]!);
    assert.deepEqual(
      found.map((line) => line.split(':')[0]),
      ['a.ts', 'b.md', 'c.ksy'],
    );
  });
});
