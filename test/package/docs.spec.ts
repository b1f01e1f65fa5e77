/**
 * docs/configuration.md against the code: its metrics table against the metrics a
 * GossipMetrics registers (runtime/metrics.ts), its key table against the config schema
 * (runtime/config-schema.ts). A metric or key added to the code fails here until documented.
 * Also: the CLI's help texts describe only what exists.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONFIG_FILE_SCHEMA,
  GOSSIP_KEYS,
  GOSSIP_SECTION_SCHEMA,
  REQUIRED_GOSSIP_KEYS,
} from '../../runtime/config-schema.js';
import { GossipMetrics } from '../../runtime/metrics.js';

const DOC = fileURLToPath(new URL('../../docs/configuration.md', import.meta.url));

/** The rows of the first table under `## <heading>`, as arrays of trimmed cells (header and rule excluded). */
function tableUnder(heading: string): string[][] {
  const text = readFileSync(DOC, 'utf8');
  const start = text.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `docs/configuration.md has a "## ${heading}" section`);
  const end = text.indexOf('\n## ', start + 1);
  const lines = text
    .slice(start, end < 0 ? undefined : end)
    .split('\n')
    .filter((line) => line.startsWith('|'));
  return lines.slice(2).map((line) =>
    line
      .replace(/\\\|/g, '\u0000')
      .split('|')
      .slice(1, -1)
      // eslint-disable-next-line no-control-regex -- NUL stands in for escaped pipes
      .map((cell) => cell.replace(/\u0000/g, '|').trim()),
  );
}

/** `a`, `b` → ['a', 'b']: the code spans of a cell. */
const codeSpans = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);

describe('docs/configuration.md matches the code', () => {
  it('the metrics table lists every registered gossip_* metric with its type and labels, and nothing else', async () => {
    const metrics = new GossipMetrics({ processMetrics: false });
    const registered = (await metrics.registry.getMetricsAsJSON()).map((metric) => {
      const labels =
        (metrics.registry.getSingleMetric(metric.name) as unknown as { labelNames?: readonly string[] }).labelNames ??
        [];
      return `${metric.name} ${metric.type} {${[...labels].sort().join(',')}}`;
    });
    const documented = tableUnder('Metrics').map(
      ([name = '', type = '', labels = '']) =>
        `${codeSpans(name)[0] ?? name} ${type} {${codeSpans(labels).sort().join(',')}}`,
    );
    assert.deepEqual(
      [...documented].sort(),
      [...registered].sort(),
      'docs/configuration.md "## Metrics" table = runtime/metrics.ts registry',
    );
  });

  it('the key table lists exactly the schema keys, with the required ones marked', () => {
    const rows = tableUnder('Keys');
    const documented = rows.map(([key = '']) => codeSpans(key)[0] ?? key);
    const schemaKeys = [
      ...Object.keys(CONFIG_FILE_SCHEMA.properties).filter((key) => key !== 'gossip'),
      ...GOSSIP_KEYS,
    ];
    assert.deepEqual([...documented].sort(), [...schemaKeys].sort());
    const documentedRequired = rows.filter(([, required]) => required === 'yes').map(([key = '']) => codeSpans(key)[0]);
    assert.deepEqual(documentedRequired.sort(), [...REQUIRED_GOSSIP_KEYS].sort());
  });

  it("the key table's ranges and choices are the schema's", () => {
    const digits = (n: number): string => String(n);
    for (const row of tableUnder('Keys')) {
      const key = codeSpans(row[0] ?? '')[0] as keyof typeof GOSSIP_SECTION_SCHEMA.properties;
      const schema = GOSSIP_SECTION_SCHEMA.properties[key] as
        { minimum?: number; maximum?: number; exclusiveMinimum?: number; enum?: readonly string[] } | undefined;
      if (!schema) continue;
      // The range column groups digits with spaces: compare without them.
      const range = (row[4] ?? '').replace(/[\s\u00a0\u202f]/g, '');
      if (schema.minimum !== undefined && schema.maximum !== undefined)
        assert.ok(
          range.includes(`${digits(schema.minimum)}..${digits(schema.maximum)}`),
          `${key}: range ${row[4]} vs schema ${schema.minimum}..${schema.maximum}`,
        );
      if (schema.exclusiveMinimum !== undefined)
        assert.ok(
          range.includes(`>${digits(schema.exclusiveMinimum)}`),
          `${key}: range ${row[4]} vs schema > ${schema.exclusiveMinimum}`,
        );
      if (schema.exclusiveMinimum !== undefined && schema.maximum !== undefined)
        assert.ok(
          range.includes(`≤${digits(schema.maximum)}`),
          `${key}: range ${row[4]} vs schema ≤ ${schema.maximum}`,
        );
      for (const choice of schema.enum ?? [])
        assert.ok(codeSpans(row[4] ?? '').includes(choice), `${key}: ${choice} is documented`);
    }
  });

  it('the CLI sources (help texts included) promise nothing that does not exist yet', () => {
    const cliDir = fileURLToPath(new URL('../../runtime/cli/', import.meta.url));
    for (const file of readdirSync(cliDir).filter((name) => name.endsWith('.ts'))) {
      const text = readFileSync(join(cliDir, file), 'utf8');
      assert.doesNotMatch(text, /\b(planned|not yet|TODO|coming soon)\b/i, `runtime/cli/${file}`);
    }
  });
});
