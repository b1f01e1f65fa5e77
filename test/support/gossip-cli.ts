/**
 * Runs `node bin/gossip.js …` the way a user does, for the CLI tests, and measures what the
 * process did (test/support/exit-usage.mjs): its CPU time, peak memory and bytes read. Those,
 * not wall time, tell whether a command did more work than it should: on a loaded machine a
 * process start alone takes seconds of wall time, but no more CPU time or bytes than when idle.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const EXIT_USAGE = new URL('exit-usage.mjs', import.meta.url).href;

/** What a process used, written as it exited (null when it was killed before it could). */
export interface Usage {
  readonly cpuMs: number;
  readonly maxRssBytes: number;
  /** Bytes read by read(2) and pread(2) (/proc/self/io rchar); null without /proc. */
  readonly bytesRead: number | null;
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  tookMs: number;
  usage: Usage | null;
}

export interface RunOptions {
  /** Acts on the output so far (`kill` signals the process). */
  readonly onStdout?: (stdout: string, kill: (signal: NodeJS.Signals) => void) => void;
  /** SIGKILL it then: a test expecting a quick exit must not hang on a daemon. */
  readonly killAfterMs?: number;
}

export function gossip(args: string[], options: RunOptions = {}): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'gossip-usage-'));
  const usageFile = join(dir, 'usage.json');
  return new Promise<Run>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', EXIT_USAGE, join(ROOT, 'bin/gossip.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, GOSSIP_DEBUG: '', GOSSIP_TEST_USAGE_FILE: usageFile },
    });
    const { killAfterMs, onStdout } = options;
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout?.(stdout, (signal) => child.kill(signal));
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const tookMs = performance.now() - started;
      resolve({ code, signal, stdout, stderr, tookMs, usage: readUsage(usageFile) });
    });
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

function readUsage(file: string): Usage | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Usage;
  } catch {
    return null;
  }
}

export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}
