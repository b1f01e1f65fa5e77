// Spelling of generated names from .ksy ids, and parsing of `type: name(args)` references.

const TYPE_REF = /^([a-z][a-z0-9_]*)(?:\((.*)\))?$/;

export function camelCase(id: string): string {
  return id.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function pascalCase(id: string): string {
  const camel = camelCase(id);
  return camel.charAt(0).toUpperCase() + camel.slice(1);
}

/** `gossip_header(500, 8, 65535)` → name and argument texts; undefined when not of that form. */
export function parseTypeRef(type: string): { name: string; args: string[] } | undefined {
  const match = TYPE_REF.exec(type.trim());
  if (!match || !match[1]) return undefined;
  const args = match[2] === undefined ? [] : match[2].split(',').map((arg) => arg.trim());
  return { name: match[1], args };
}
