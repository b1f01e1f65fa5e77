/**
 * CPU time per thread of this process (Linux /proc/self/task), to tell whether the event loop's
 * thread does work while worker threads hash (docs/protocol.md §4.1, §6). Compared with the
 * busiest other thread over the same stretch, the main thread's share does not depend on the
 * machine's load: other jobs slow all of this process's threads alike, where wall-time measures
 * (latency, timer gaps, event-loop utilisation) grow with them.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** CPU clock ticks used so far, by thread id; null without /proc. */
export type ThreadTicks = ReadonlyMap<number, number> | null;

export function threadTicks(): ThreadTicks {
  try {
    const ticks = new Map<number, number>();
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        // Fields after the command name (in parentheses, which may hold spaces): state is
        // field 3, utime 14, stime 15.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks.set(Number(tid), Number(fields[11]) + Number(fields[12]));
      } catch {
        // The thread ended while we looked.
      }
    }
    return ticks;
  } catch {
    return null;
  }
}

/** Ticks since `from` of the main thread and of the busiest other thread. */
export function mainAndBusiest(from: ThreadTicks): { main: number; busiest: number } | null {
  const now = threadTicks();
  if (from === null || now === null) return null;
  const used = (tid: number): number => (now.get(tid) ?? 0) - (from.get(tid) ?? 0);
  let busiest = 0;
  for (const tid of now.keys()) if (tid !== process.pid) busiest = Math.max(busiest, used(tid));
  return { main: used(process.pid), busiest };
}
