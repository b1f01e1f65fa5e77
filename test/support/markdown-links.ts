/**
 * An offline checker for the relative links and `#anchors` of the repository's Markdown
 * files, as GitHub renders them. No dependency: the repository has no Markdown parser, and
 * the subset needed here (code to skip, headings, inline and reference links, HTML `href` /
 * `src`) is small. External links (any `scheme:`) are never fetched.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** A link found in a Markdown file: 1-based line and the target exactly as written. */
export interface MarkdownLink {
  readonly line: number;
  readonly target: string;
}

/** A dead link: where it is, what it points to, and why it is dead. */
export interface DeadLink {
  readonly file: string;
  readonly line: number;
  readonly target: string;
  readonly reason: string;
}

// ---- GitHub's heading anchors (the github-slugger algorithm) ----

/**
 * Characters GitHub drops from a heading's text: other numbers, every punctuation but `_`
 * and `-`, symbols, controls, format and unassigned characters, and separators other than
 * the plain space, unless the character is alphabetic.
 */
const DROPPED = /[\p{No}\p{Pd}\p{Ps}\p{Pe}\p{Pi}\p{Pf}\p{Po}\p{S}\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Z}]/u;
const ALPHABETIC = /\p{Alphabetic}/u;

/** The anchor of one heading text: lowercase, dropped characters removed, spaces to `-`. */
export function slugOf(text: string): string {
  let slug = '';
  for (const char of text.toLowerCase()) {
    if (char === ' ' || char === '-') slug += char === ' ' ? '-' : char;
    else if (!DROPPED.test(char) || ALPHABETIC.test(char)) slug += char;
  }
  return slug;
}

/** Gives each heading its anchor, numbering repeats as GitHub does: `a`, `a-1`, `a-2`. */
export class Slugger {
  private readonly occurrences = new Map<string, number>();

  slug(text: string): string {
    const base = slugOf(text);
    let slug = base;
    while (this.occurrences.has(slug)) {
      const count = (this.occurrences.get(base) ?? 0) + 1;
      this.occurrences.set(base, count);
      slug = `${base}-${count}`;
    }
    this.occurrences.set(slug, 0);
    return slug;
  }
}

// ---- Reading Markdown ----

/** Blanks a range of `text` (every character but newlines becomes a space). */
function blank(text: string, start: number, end: number): string {
  return text.slice(0, start) + text.slice(start, end).replace(/[^\n]/g, ' ') + text.slice(end);
}

/** Blanks fenced code blocks (``` or ~~~, at any indentation) and HTML comments. */
export function maskBlocks(markdown: string): string {
  let text = markdown;
  for (const match of markdown.matchAll(/<!--[\s\S]*?-->/g)) {
    text = blank(text, match.index, match.index + match[0].length);
  }
  const lines = text.split('\n');
  let fence: { char: string; length: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const marker = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence === null) {
      if (marker?.[1] !== undefined && !(marker[1][0] === '`' && line.slice(marker[0].length).includes('`'))) {
        fence = { char: marker[1][0] ?? '`', length: marker[1].length };
        lines[i] = ' '.repeat(line.length);
      }
    } else {
      const closes =
        marker?.[1] !== undefined &&
        marker[1][0] === fence.char &&
        marker[1].length >= fence.length &&
        line.slice(marker[0].length).trim() === '';
      lines[i] = ' '.repeat(line.length);
      if (closes) fence = null;
    }
  }
  return lines.join('\n');
}

/** Blanks code spans and backslash escapes (call on text whose code blocks are masked). */
export function maskInline(text: string): string {
  let masked = text.replace(/\\[\\`*_{}[\]()#+\-.!<>|"']/g, '  ');
  // A code span: a run of backticks, then anything up to the same run, not across a blank line.
  const span = /(?<!`)(`+)(?!`)((?:(?!\n[ \t]*\n)[\s\S])*?[^`])\1(?!`)/g;
  for (const match of masked.matchAll(span)) {
    masked = blank(masked, match.index, match.index + match[0].length);
  }
  return masked;
}

/** The text a heading renders to: code kept literally, links and images as their text, markup and tags removed. */
export function headingText(raw: string): string {
  const codes: string[] = [];
  let text = raw.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (_match, _ticks: string, code: string) => {
    codes.push(code.trim());
    return `\u0000${codes.length - 1}\u0000`;
  });
  text = text
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '') // an image renders no text
    .replace(/\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/\\(.)/g, '$1')
    .replace(/(\*+|~~)/g, '')
    .replace(/(^|[^\p{L}\p{N}_])_+(\S(?:.*?\S)?)_+(?![\p{L}\p{N}_])/gu, '$1$2');
  // eslint-disable-next-line no-control-regex -- NUL brackets the placeholders put in above
  return text.replace(/\u0000(\d+)\u0000/g, (_match, index: string) => codes[Number(index)] ?? '').trim();
}

/** Every anchor a Markdown file offers: its headings' slugs, and `id` / `name` attributes of HTML tags. */
export function anchorsOf(markdown: string): Set<string> {
  const text = maskBlocks(markdown);
  const slugger = new Slugger();
  const anchors = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const atx = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(line);
    const next = lines[i + 1] ?? '';
    if (atx) {
      anchors.add(slugger.slug(headingText(atx[1] ?? '')));
    } else if (
      line.trim() !== '' &&
      /^ {0,3}(=+|-+)[ \t]*$/.test(next) &&
      !/^\s*([-*+>|]|\d+[.)])/.test(line) &&
      (i === 0 || (lines[i - 1] ?? '').trim() === '')
    ) {
      anchors.add(slugger.slug(headingText(line)));
      i++;
    }
  }
  const htmlAnchor = /<[a-z][a-z0-9]*\b[^>]*?\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi;
  for (const match of maskInline(text).matchAll(htmlAnchor)) {
    anchors.add(match[1] ?? match[2] ?? '');
  }
  return anchors;
}

/** `[text]`, one level of nested brackets allowed (group 1). */
const LINK_TEXT = String.raw`\[((?:\\.|[^[\]\\]|\[(?:\\.|[^[\]\\])*\])*)\]`;
/** `<anything>`, or a destination with balanced parentheses and no spaces (group 2). */
const DESTINATION = String.raw`(<[^<>\n]*>|(?:[^\s()\\]|\\.|\((?:[^\s()\\]|\\.)*\))*)`;
const TITLE = String.raw`(?:\s+(?:"[^"]*"|'[^']*'|\([^()]*\)))?`;
const INLINE_LINK = new RegExp(String.raw`!?${LINK_TEXT}\(\s*${DESTINATION}${TITLE}\s*\)`, 'g');
const REFERENCE_DEFINITION = /^ {0,3}\[((?:\\.|[^\]\\])+)\]:[ \t]*\n?[ \t]*(<[^<>\n]*>|\S+)/gm;
const HTML_LINK = /<(?:a|img|source)\b[^>]*?\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi;

/** Every link of a Markdown file: inline links and images, reference definitions, HTML `href` and `src`. */
export function linksOf(markdown: string): MarkdownLink[] {
  const text = maskInline(maskBlocks(markdown));
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lineAt = (offset: number): number => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
  const links: MarkdownLink[] = [];
  const unwrap = (target: string): string => target.replace(/^<(.*)>$/, '$1').replace(/\\(.)/g, '$1');
  const scanInline = (source: string, base: number): void => {
    for (const match of source.matchAll(INLINE_LINK)) {
      const offset = base + match.index;
      links.push({ line: lineAt(offset), target: unwrap(match[2] ?? '') });
      const inner = match[1] ?? '';
      if (inner.includes('](')) scanInline(inner, offset + match[0].indexOf(inner));
    }
  };
  scanInline(text, 0);
  for (const match of text.matchAll(REFERENCE_DEFINITION)) {
    links.push({ line: lineAt(match.index), target: unwrap(match[2] ?? '') });
  }
  for (const match of text.matchAll(HTML_LINK)) {
    links.push({ line: lineAt(match.index), target: match[1] ?? match[2] ?? '' });
  }
  return links.sort((a, b) => a.line - b.line);
}

// ---- The repository ----

/** The repository's files as they would be committed: tracked plus untracked-not-ignored, present on disk. */
export function repositoryFiles(root: string): string[] {
  let listed: string[];
  try {
    listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    }).split('\0');
  } catch {
    listed = walk(root, ''); // not a git checkout (an unpacked tarball): every file on disk
  }
  return [...new Set(listed)]
    .filter((file) => file !== '' && !file.split('/').includes('node_modules'))
    .filter((file) => existsSync(path.join(root, file)))
    .sort();
}

function walk(root: string, dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    if (['.git', 'node_modules', 'dist'].includes(entry.name)) continue;
    const relative = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) files.push(...walk(root, relative));
    else files.push(relative);
  }
  return files;
}

/** GitHub line anchors of a non-Markdown file: `#L10`, `#L10-L20`, `#L10C2-L12C5`. */
const LINE_ANCHOR = /^L\d+(C\d+)?(-L\d+(C\d+)?)?$/;

/**
 * Checks every relative link of every Markdown file among `files` (paths relative to
 * `root`, as `repositoryFiles` gives them): the target must be a file or directory of the
 * repository, and an anchor must be a heading or HTML anchor of the Markdown file it names.
 */
export function deadLinks(root: string, files: readonly string[]): DeadLink[] {
  const known = new Set(files);
  const directories = new Set<string>(['']);
  for (const file of files) {
    for (let dir = path.posix.dirname(file); dir !== '.'; dir = path.posix.dirname(dir)) directories.add(dir);
  }
  const anchorCache = new Map<string, Set<string>>();
  const anchorsIn = (file: string): Set<string> => {
    let anchors = anchorCache.get(file);
    if (anchors === undefined) {
      anchors = anchorsOf(readFileSync(path.join(root, file), 'utf8'));
      anchorCache.set(file, anchors);
    }
    return anchors;
  };
  const isMarkdown = (file: string): boolean => /\.(md|markdown)$/i.test(file);

  const dead: DeadLink[] = [];
  for (const file of files.filter(isMarkdown)) {
    for (const { line, target } of linksOf(readFileSync(path.join(root, file), 'utf8'))) {
      const report = (reason: string): void => {
        dead.push({ file, line, target, reason });
      };
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // external: not checked
      const hash = target.indexOf('#');
      const rawPath = (hash < 0 ? target : target.slice(0, hash)).replace(/\?.*$/, '');
      let pathPart: string;
      let anchor: string;
      try {
        pathPart = decodeURIComponent(rawPath);
        anchor = hash < 0 ? '' : decodeURIComponent(target.slice(hash + 1));
      } catch {
        report('bad percent-encoding');
        continue;
      }
      if (target === '') {
        report('empty link');
        continue;
      }
      let resolved: string;
      if (pathPart === '') resolved = file;
      else {
        const joined = pathPart.startsWith('/')
          ? path.posix.normalize(pathPart.slice(1))
          : path.posix.join(path.posix.dirname(file), pathPart);
        resolved = joined.replace(/\/+$/, '') || '.';
        if (resolved === '.') resolved = '';
      }
      if (resolved === '..' || resolved.startsWith('../')) {
        report('points outside the repository');
        continue;
      }
      const isFile = known.has(resolved) && statSync(path.join(root, resolved)).isFile();
      const isDirectory = directories.has(resolved);
      if (!isFile && !isDirectory) {
        report('no such file or directory in the repository');
        continue;
      }
      if (anchor === '') continue;
      if (isFile && !isMarkdown(resolved)) {
        if (!LINE_ANCHOR.test(anchor)) report(`no anchor #${anchor} in a file that is not Markdown`);
        continue;
      }
      const readme = isFile
        ? resolved
        : ['README.md', 'readme.md'].map((name) => path.posix.join(resolved, name)).find((f) => known.has(f));
      if (readme === undefined) report(`no README to hold #${anchor}`);
      else if (!anchorsIn(readme).has(anchor)) report(`no heading or anchor #${anchor} in ${readme}`);
    }
  }
  return dead;
}
