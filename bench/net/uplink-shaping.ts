/**
 * A capped uplink per daemon on loopback, as on a network where bandwidth, not the CPU,
 * bounds the rate: an HTB root qdisc on `lo` with one class per host at the given rate, and
 * u32 filters that put into it the packets the host sends over P2P links (source address =
 * the host and source or destination port = the P2P port: a daemon answers on links it
 * accepted from that port and dials out from its own host to that port). Everything else on
 * lo (API, metrics, any other program) falls into a default class at 100 Gbit/s.
 *
 * Needs root and iproute2's tc. tc runs through execFile with its arguments as a list. The
 * qdisc is removed by remove(), and synchronously on SIGINT, SIGTERM or exit, so that an
 * interrupted bench does not leave loopback shaped. A root qdisc someone else put on lo is
 * never replaced or deleted.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** Where iproute2 puts it (a PATH without sbin should not hide it), else whatever PATH finds. */
const TC = ['/usr/sbin/tc', '/sbin/tc'].find((path) => existsSync(path)) ?? 'tc';
const DEVICE = 'lo';
const HANDLE = '1:';
/** Unmatched traffic: far above anything loopback carries here, so in effect unshaped. */
const DEFAULT_MINOR = 1;
const REMOVE = ['qdisc', 'del', 'dev', DEVICE, 'root', 'handle', HANDLE];

export const uplinkLabel = (mbit: number): string => (mbit === 0 ? 'unshaped' : `${mbit} Mbit/s`);

export interface ShapedTraffic {
  /** Over every host's class since the shaping was applied. */
  readonly bytes: number;
  readonly packets: number;
  readonly dropped: number;
}

export interface UplinkShaping {
  readonly mbit: number;
  traffic(): Promise<ShapedTraffic>;
  remove(): Promise<void>;
}

/**
 * Throws when lo has a root qdisc other than the kernel's default (handle 0:): the bench
 * would measure someone else's shaping, or delete it. Returns why shaping is unavailable
 * (tc missing or failing), or null when it can be tried.
 */
export async function loopbackShapingBlocker(): Promise<string | null> {
  let handle: string | undefined;
  try {
    handle = await rootHandle();
  } catch (error) {
    return tcFailure(error);
  }
  if (handle !== undefined && handle !== '0:')
    throw new Error(
      `${DEVICE} already has a root qdisc (handle ${handle}), not the default: ` +
        `refusing to shape uplinks over it or to remove it (if a killed bench left it, \`tc qdisc del dev ${DEVICE} root\`)`,
    );
  return null;
}

/**
 * Caps each host's P2P egress at `mbit`. Returns the shaping, or why it could not be applied
 * (then nothing is left behind); throws as loopbackShapingBlocker does.
 */
export async function shapeUplinks(
  mbit: number,
  hosts: readonly string[],
  port: number,
): Promise<UplinkShaping | string> {
  if (!(mbit > 0)) throw new Error(`an uplink needs a rate > 0 Mbit/s, not ${mbit}`);
  if (hosts.some((h) => !/^\d{1,3}(\.\d{1,3}){3}$/.test(h))) throw new Error(`not IPv4 hosts: ${hosts.join(' ')}`);
  const blocker = await loopbackShapingBlocker();
  if (blocker !== null) return blocker;
  const rate = `${Math.round(mbit * 1000)}kbit`;
  const classOf = (minor: number): string => `${HANDLE}${minor.toString(16)}`;
  const htbClass = (minor: number, ...spec: string[]): string[] => [
    ...['class', 'add', 'dev', DEVICE, 'parent', HANDLE, 'classid', classOf(minor), 'htb'],
    ...spec,
  ];
  const commands: string[][] = [htbClass(DEFAULT_MINOR, 'rate', '100gbit')];
  for (const [index, host] of hosts.entries()) {
    const minor = DEFAULT_MINOR + 1 + index;
    // burst = lo's 64 KiB MTU: HTB cannot send a packet larger than its bucket in one go.
    commands.push(htbClass(minor, 'rate', rate, 'ceil', rate, 'burst', '64k', 'cburst', '64k'));
    for (const direction of ['sport', 'dport'])
      commands.push([
        ...['filter', 'add', 'dev', DEVICE, 'parent', HANDLE, 'protocol', 'ip', 'prio', '1', 'u32'],
        ...['match', 'ip', 'src', `${host}/32`, 'match', 'ip', direction, String(port), '0xffff'],
        ...['flowid', classOf(minor)],
      ]);
  }
  const root = ['qdisc', 'add', 'dev', DEVICE, 'root', 'handle', HANDLE, 'htb', 'default', DEFAULT_MINOR.toString(16)];
  try {
    await run(TC, root);
  } catch (error) {
    return tcFailure(error);
  }
  const guard = removalGuard();
  try {
    for (const command of commands) await run(TC, command);
  } catch (error) {
    await guard.remove();
    return tcFailure(error);
  }
  return {
    mbit,
    async traffic() {
      const { stdout } = await run(TC, ['-s', 'class', 'show', 'dev', DEVICE]);
      return hostClassTraffic(stdout, HANDLE, DEFAULT_MINOR);
    },
    remove: guard.remove,
  };
}

/** Removes the qdisc on remove(), or synchronously when the process is interrupted or exits. */
function removalGuard(): { remove: () => Promise<void> } {
  let applied = true;
  const removeNow = (): void => {
    if (!applied) return;
    applied = false;
    try {
      execFileSync(TC, REMOVE, { stdio: 'ignore' });
    } catch {
      // Already gone: nothing to undo.
    }
  };
  // A listener replaces Node's default exit on the signal, so exit as that default would
  // (128 + signal number); `exit` then also stops the daemons (process-cluster.ts).
  const onSignal = (signal: NodeJS.Signals): void => {
    removeNow();
    process.stderr.write(`[bench:net] ${signal}: uplink shaping removed from ${DEVICE}\n`);
    process.exit(128 + constants.signals[signal]);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', removeNow);
  return {
    async remove() {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('exit', removeNow);
      if (!applied) return;
      applied = false;
      // Someone may have removed it already: only a qdisc of ours still in place is a failure.
      try {
        await run(TC, REMOVE);
      } catch (error) {
        if ((await rootHandle()) === HANDLE) throw error;
      }
    },
  };
}

async function rootHandle(): Promise<string | undefined> {
  const { stdout } = await run(TC, ['-j', 'qdisc', 'show', 'dev', DEVICE]);
  return (JSON.parse(stdout) as { handle?: string; root?: boolean }[]).find((q) => q.root === true)?.handle;
}

/** Sums `Sent … bytes … pkt (dropped …` over the classes of `tc -s class show` other than the default one. */
export function hostClassTraffic(shown: string, handle: string, defaultMinor: number): ShapedTraffic {
  const traffic = { bytes: 0, packets: 0, dropped: 0 };
  const pattern = /class htb (\w+:\w+)[^\n]*\n\s*Sent (\d+) bytes (\d+) pkt \(dropped (\d+)/g;
  for (const [, id, bytes, packets, dropped] of shown.matchAll(pattern)) {
    if (!id!.startsWith(handle) || id === `${handle}${defaultMinor.toString(16)}`) continue;
    traffic.bytes += Number(bytes);
    traffic.packets += Number(packets);
    traffic.dropped += Number(dropped);
  }
  return traffic;
}

function tcFailure(error: unknown): string {
  const { code, stderr } = error as { code?: unknown; stderr?: unknown };
  if (code === 'ENOENT') return 'tc (iproute2) is not installed';
  const said = typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim().split('\n')[0]! : String(error);
  return `tc failed (shaping needs root): ${said}`;
}
