// A small code writer for generated bodies: lines with indentation, blocks, and a tagged
// template that records imports as they are used. A name from another generated module is an
// `Imported`; interpolating it adds its import, so a codec never imports what it does not
// use and never uses what it does not import.
import type { ImportDeclarationStructure, OptionalKind } from 'ts-morph';

/** A name exported by a module of the output directory (e.g. `readU16` of `./wire.js`). */
export class Imported {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly isTypeOnly = false,
  ) {}

  toString(): string {
    return this.name;
  }
}

/** The named exports of one module, each an `Imported` under its own name. */
export function exportsOf<const Names extends string>(
  specifier: string,
  names: readonly Names[],
  typeOnly: readonly Names[] = [],
): Record<Names, Imported> {
  return Object.fromEntries(
    names.map((name) => [name, new Imported(specifier, name, typeOnly.includes(name))]),
  ) as Record<Names, Imported>;
}

type Part = string | number | Imported;

export class CodeWriter {
  private readonly lines: string[] = [];
  private depth = 0;

  /** `used`: module specifier → imported name → whether it is used as a type only. */
  constructor(private readonly used = new Map<string, Map<string, boolean>>()) {}

  /** A writer for another body of the same file: its own lines, the file's imports. */
  fork(): CodeWriter {
    return new CodeWriter(this.used);
  }

  /** An inline fragment; the imports it interpolates are recorded now. */
  expr(strings: TemplateStringsArray, ...parts: Part[]): string {
    let text = strings[0] ?? '';
    parts.forEach((part, index) => {
      if (part instanceof Imported) this.use(part);
      text += String(part) + (strings[index + 1] ?? '');
    });
    return text;
  }

  /** One line at the current indentation (a template, like `expr`). */
  line(strings: TemplateStringsArray, ...parts: Part[]): this {
    return this.raw(this.expr(strings, ...parts));
  }

  /** One line of ready text (an `expr` result, or code without imports). */
  raw(text: string): this {
    this.lines.push(text === '' ? '' : '  '.repeat(this.depth) + text);
    return this;
  }

  blank(): this {
    return this.raw('');
  }

  /** `open`, the body one level deeper, then `close`. */
  block(open: string, body: () => void, close = '}'): this {
    this.raw(open);
    this.depth++;
    body();
    this.depth--;
    return this.raw(close);
  }

  /** Records an import used outside the templates (e.g. in a ts-morph type string). */
  use(imported: Imported): string {
    const names = this.used.get(imported.module) ?? new Map<string, boolean>();
    names.set(imported.name, imported.isTypeOnly && (names.get(imported.name) ?? true));
    this.used.set(imported.module, names);
    return imported.name;
  }

  /** Import declarations of everything used, modules and names sorted. */
  imports(): OptionalKind<ImportDeclarationStructure>[] {
    return [...this.used]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([moduleSpecifier, names]) => ({
        moduleSpecifier,
        namedImports: [...names]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([name, isTypeOnly]) => (isTypeOnly ? { name, isTypeOnly } : name)),
      }));
  }

  toString(): string {
    return this.lines.join('\n');
  }
}
