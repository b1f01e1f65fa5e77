// A user type repeated to the end of a message (e.g. the PEER RESPONSE entry): its fields,
// with sizes that are constants or chosen by a bool parameter bound to an earlier b1 field.
import type { KsyAttribute, KsyParam } from './ksy-types.js';
import type { ItemField, ItemModel, MessageField } from './model.js';
import { fieldBase, UINT_TYPES } from './model-field.js';
import { camelCase, pascalCase } from './names.js';

const CHOICE_SIZE = /^\s*([a-z][a-z0-9_]*)\s*\?\s*([0-9]+)\s*:\s*([0-9]+)\s*$/;

export function buildItem(
  id: string,
  doc: string,
  params: readonly KsyParam[],
  seq: readonly KsyAttribute[],
  args: readonly string[],
  parentFields: readonly MessageField[],
  path: string,
  report: (path: string, message: string) => void,
): ItemModel | undefined {
  let ok = true;
  const fail = (where: string, message: string): void => {
    ok = false;
    report(where, message);
  };
  if (args.length !== params.length)
    fail(path, `type '${id}' takes ${params.length} argument(s), given ${args.length}`);
  params.forEach((param, index) => {
    const arg = args[index] ?? '';
    const source = parentFields.find((field) => field.id === arg);
    if (param.type !== 'bool') fail(`${path}/params/${index}/type`, 'only bool params are supported');
    else if (!source || source.kind !== 'bits' || source.width !== 1)
      fail(`${path}/params/${index}`, `argument '${arg}' must name an earlier b1 field`);
  });
  const fields: ItemField[] = [];
  seq.forEach((attribute, index) => {
    const where = `${path}/seq/${index}`;
    if (
      attribute.repeat ||
      attribute['size-eos'] ||
      attribute.enum ||
      attribute.valid !== undefined ||
      attribute['-gossip']
    ) {
      fail(where, "fields of a repeated type support only 'type' (u1..u8) or 'size'");
      return;
    }
    if (attribute.type !== undefined) {
      const bytes = UINT_TYPES[attribute.type];
      if (bytes === undefined)
        fail(`${where}/type`, `unknown type '${attribute.type}' (supported here: u1, u2, u4, u8)`);
      else fields.push({ ...fieldBase(attribute), kind: 'uint', bytes });
      return;
    }
    if (typeof attribute.size === 'number') {
      fields.push({ ...fieldBase(attribute), kind: 'bytes', size: { kind: 'const', value: attribute.size } });
      return;
    }
    const choice = typeof attribute.size === 'string' ? CHOICE_SIZE.exec(attribute.size) : null;
    const paramIndex = choice ? params.findIndex((param) => param.id === choice[1]) : -1;
    if (!choice || paramIndex < 0) {
      fail(
        where,
        attribute.size === undefined
          ? "missing 'type' (or 'size' for raw bytes)"
          : `size '${attribute.size}' must be an integer or '<bool param> ? <int> : <int>'`,
      );
      return;
    }
    fields.push({
      ...fieldBase(attribute),
      kind: 'bytes',
      size: {
        kind: 'choice',
        param: camelCase(args[paramIndex] ?? ''),
        ifTrue: Number(choice[2]),
        ifFalse: Number(choice[3]),
      },
    });
  });
  if (!ok) return undefined;
  return {
    id,
    name: pascalCase(id),
    doc: doc.trim(),
    params: params.map((p) => ({ id: p.id, name: camelCase(p.id), doc: p.doc })),
    fields,
  };
}
