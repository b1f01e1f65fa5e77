import { sleep } from '../../test/support/network.js';
import type { BenchCluster } from './cluster.js';

/** How long the link counts must stay unchanged before the overlay counts as formed. */
const STABLE_FOR_MS = 1_000;
const POLL_MS = 100;

/**
 * Waits until every node holds at least `degree` active links and no node's count changed
 * for STABLE_FOR_MS: the overlay under measurement is then fixed (rotation is off).
 */
export async function waitForStableLinks(cluster: BenchCluster, degree: number, timeoutMs: number): Promise<number[]> {
  const started = Date.now();
  let previous = '';
  let sameSince = Date.now();
  for (;;) {
    const links = (await cluster.counters()).map((c) => c.activeLinks);
    const key = links.join(',');
    if (key !== previous) {
      previous = key;
      sameSince = Date.now();
    } else if (links.every((count) => count >= degree) && Date.now() - sameSince >= STABLE_FOR_MS) {
      return links;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`overlay not stable at degree ${degree} after ${timeoutMs} ms (links per node: ${key})`);
    }
    await sleep(POLL_MS);
  }
}
