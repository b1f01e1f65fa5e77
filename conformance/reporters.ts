/**
 * Reports of a conformance run: console lines (one per case, failures with sent / expected /
 * got), a machine-readable JSON document, and JUnit XML for CI systems.
 */
import type { CaseResult } from './types.js';

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
  /** Cases whose precondition failed (BLOCKED by <case id>). */
  blocked: number;
  durationMs: number;
}

export function summarise(results: readonly CaseResult[], durationMs: number): Summary {
  const count = (status: string): number => results.filter((result) => result.outcome.status === status).length;
  return {
    passed: count('pass'),
    failed: count('fail'),
    skipped: count('skip'),
    blocked: count('blocked'),
    durationMs,
  };
}

/** One case as console lines: status, id, section, requirement, then the details. */
export function formatResult(result: CaseResult): string {
  const outcome = result.outcome;
  const status = outcome.status === 'blocked' ? `BLOCKED by ${outcome.by}` : outcome.status.toUpperCase().padEnd(4);
  const via = result.path ? `\n      via: ${result.path}` : '';
  const head = `${status}  ${result.id}  (§${result.section}, ${result.durationMs} ms)\n      ${result.requirement}${via}`;
  if (outcome.status === 'pass') return outcome.note ? `${head}\n      note: ${outcome.note}` : head;
  if (outcome.status === 'skip') return `${head}\n      why: ${outcome.reason}`;
  if (outcome.status === 'blocked') return `${head}\n      why: ${outcome.reason}`;
  const lines = [head, `      ${outcome.message}`];
  if (outcome.sent !== undefined) lines.push(`      sent:     ${outcome.sent}`);
  if (outcome.expected !== undefined) lines.push(`      expected: ${outcome.expected}`);
  if (outcome.got !== undefined) lines.push(`      got:      ${outcome.got}`);
  return lines.join('\n');
}

export function formatSummary(summary: Summary): string {
  return `${summary.passed} passed, ${summary.failed} failed, ${summary.blocked} blocked, ${summary.skipped} skipped in ${(summary.durationMs / 1000).toFixed(1)} s`;
}

export function toJson(
  results: readonly CaseResult[],
  summary: Summary,
  target: Record<string, unknown>,
  run: Record<string, unknown> = {},
): string {
  return JSON.stringify(
    { suite: 'voidphone-gossip-conformance', protocol: 'docs/protocol.md', target, ...run, summary, cases: results },
    null,
    2,
  );
}

const escapeXml = (text: string): string =>
  text
    .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c)
    // XML 1.0 forbids most control characters even when escaped.
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '?');

/** JUnit XML: one <testsuite> per group, one <testcase> per case. */
export function toJunit(results: readonly CaseResult[], summary: Summary): string {
  const groups = [...new Set(results.map((result) => result.group))];
  const suites = groups.map((group) => {
    const members = results.filter((result) => result.group === group);
    const cases = members.map((result) => {
      const name = `${result.id}: ${result.requirement}`;
      const open = `    <testcase classname="conformance.${group}.s${result.section}" name="${escapeXml(name)}" time="${(result.durationMs / 1000).toFixed(3)}"`;
      const outcome = result.outcome;
      if (outcome.status === 'pass') return `${open}/>`;
      if (outcome.status === 'skip')
        return `${open}>\n      <skipped message="${escapeXml(outcome.reason)}"/>\n    </testcase>`;
      if (outcome.status === 'blocked')
        return `${open}>\n      <skipped message="${escapeXml(`BLOCKED by ${outcome.by}: ${outcome.reason}`)}"/>\n    </testcase>`;
      const details = formatResult(result);
      return `${open}>\n      <failure message="${escapeXml(outcome.message)}">${escapeXml(details)}</failure>\n    </testcase>`;
    });
    const failures = members.filter((result) => result.outcome.status === 'fail').length;
    const skipped = members.filter(
      (result) => result.outcome.status === 'skip' || result.outcome.status === 'blocked',
    ).length;
    const time = members.reduce((sum, result) => sum + result.durationMs, 0) / 1000;
    return `  <testsuite name="conformance.${group}" tests="${members.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${time.toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="voidphone-gossip-conformance" tests="${results.length}" failures="${summary.failed}" skipped="${summary.skipped + summary.blocked}" time="${(summary.durationMs / 1000).toFixed(3)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
