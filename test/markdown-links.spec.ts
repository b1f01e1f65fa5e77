import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  anchorsOf,
  deadLinks,
  headingText,
  linksOf,
  repositoryFiles,
  Slugger,
  slugOf,
  type DeadLink,
} from './support/markdown-links.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const describeDead = (dead: readonly DeadLink[]): string =>
  dead.map(({ file, line, target, reason }) => `${file}:${line}: ${target}: ${reason}`).join('\n');

describe('Markdown links of the repository', () => {
  it('every relative link and #anchor in every *.md points at something in the repository', () => {
    const files = repositoryFiles(ROOT);
    assert.ok(files.includes('README.md'), 'the repository listing includes README.md');
    const dead = deadLinks(ROOT, files);
    assert.equal(dead.length, 0, `dead links:\n${describeDead(dead)}`);
  });
});

describe('the Markdown link checker', () => {
  describe('heading anchors (GitHub slugs)', () => {
    it('lowercases, turns spaces into -, drops punctuation, keeps _ and -', () => {
      assert.equal(slugOf('4.2 Connection life cycle'), '42-connection-life-cycle');
      assert.equal(slugOf('4. P2P protocol (port p2p_address)'), '4-p2p-protocol-port-p2p_address');
      assert.equal(slugOf('bench:net — spreading'), 'benchnet--spreading');
      assert.equal(slugOf('Ünïcode Ärger'), 'ünïcode-ärger');
    });

    it('takes the rendered text: code literally, links as their text, emphasis removed', () => {
      assert.equal(headingText('Benchmark (`npm run bench:codec`)'), 'Benchmark (npm run bench:codec)');
      assert.equal(headingText('See [the protocol](docs/protocol.md) **now**'), 'See the protocol now');
      assert.equal(headingText('_snake_case_ and `a_b`'), 'snake_case and a_b');
    });

    it('numbers repeated headings -1, -2 as GitHub does', () => {
      const slugger = new Slugger();
      assert.deepEqual(
        ['Notes', 'Notes', 'Notes', 'Notes 1'].map((heading) => slugger.slug(heading)),
        ['notes', 'notes-1', 'notes-2', 'notes-1-1'],
      );
    });

    it('finds ATX and setext headings and HTML anchors, not headings inside code', () => {
      const anchors = anchorsOf(
        [
          '# Title',
          '',
          'Setext',
          '------',
          '',
          '```',
          '# not a heading',
          '```',
          '',
          '<a id="here"></a>',
          '## Title',
        ].join('\n'),
      );
      assert.deepEqual([...anchors].sort(), ['here', 'setext', 'title', 'title-1']);
    });
  });

  describe('links', () => {
    it('finds inline links, images, reference definitions and HTML links with their lines', () => {
      const links = linksOf(
        [
          'A [link](docs/a.md#x) and ![img](img/p.svg "title").',
          '[ref]: ../b.md',
          '<a href="c.md">c</a> and [wrapped',
          'text](d.md)',
          '[![badge](e.svg)](f.md)',
        ].join('\n'),
      );
      assert.deepEqual(
        links.map(({ line, target }) => `${line} ${target}`).sort(),
        ['1 docs/a.md#x', '1 img/p.svg', '2 ../b.md', '3 c.md', '3 d.md', '5 e.svg', '5 f.md'].sort(),
      );
    });

    it('ignores links inside code blocks, code spans and HTML comments', () => {
      const markdown = ['```', '[a](x.md)', '```', '`[b](y.md)`', '<!-- [c](z.md) -->'];
      markdown.push('    ~~~', '[d](w.md)', '    ~~~');
      const links = linksOf(markdown.join('\n'));
      assert.deepEqual(links, []);
    });
  });

  describe('checking a tree', () => {
    let root: string;

    before(() => {
      root = mkdtempSync(path.join(tmpdir(), 'md-links-'));
      mkdirSync(path.join(root, 'docs'));
      mkdirSync(path.join(root, 'src'));
      writeFileSync(path.join(root, 'src', 'main.ts'), 'export {};\n');
      writeFileSync(path.join(root, 'docs', 'guide.md'), '# Guide\n\n## Step one\n\n## Step one\n');
      writeFileSync(
        path.join(root, 'README.md'),
        [
          '# Read me',
          '[ok](docs/guide.md#step-one-1) [dir](src/) [code](src/main.ts#L1) [self](#read-me)',
          '[web](https://example.invalid/nowhere) [mail](mailto:a@b.invalid)',
          '[gone](docs/missing.md)',
          '[bad anchor](docs/guide.md#step-two)',
          '[outside](../elsewhere/SPEC.md)',
          '[anchor in code](src/main.ts#top)',
        ].join('\n'),
      );
    });

    after(() => rmSync(root, { recursive: true, force: true }));

    it('reports each dead link with file, line, target and reason, and nothing else', () => {
      const dead = deadLinks(root, ['README.md', 'docs/guide.md', 'src/main.ts']);
      assert.deepEqual(
        dead.map(({ file, line, target }) => `${file}:${line} ${target}`),
        [
          'README.md:4 docs/missing.md',
          'README.md:5 docs/guide.md#step-two',
          'README.md:6 ../elsewhere/SPEC.md',
          'README.md:7 src/main.ts#top',
        ],
      );
      assert.match(describeDead(dead), /README\.md:6: \.\.\/elsewhere\/SPEC\.md: points outside the repository/);
    });
  });
});
