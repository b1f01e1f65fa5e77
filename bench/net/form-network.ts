/**
 * A connected overlay of our daemons with the bench's clients attached: started, waited for
 * until its links settle, and probed with a warm-up item; a partitioned one (rotation is off,
 * so it would stay so) is started afresh, up to FORM_ATTEMPTS times.
 */
import type { BenchCluster, ClusterMode, ClusterSettings } from './cluster.js';
import { startInProcessCluster } from './in-process-cluster.js';
import { startProcessCluster } from './process-cluster.js';
import { Workload, type WorkloadOptions } from './workload.js';

const FORM_TIMEOUT_MS = 60_000;
/** Fresh networks tried per configuration before a partitioned one is measured as it is. */
const FORM_ATTEMPTS = 3;
const WARM_UP_TIMEOUT_MS = 3_000;
export const DATA_TYPE = 4242;

export interface FormedNetwork {
  readonly cluster: BenchCluster;
  readonly workload: Workload;
  readonly attempts: number;
  /** Subscribers the warm-up item reached: N when connected. */
  readonly reach: number;
}

export async function formNetwork(
  mode: ClusterMode,
  settings: ClusterSettings,
  workloadOptions: Omit<WorkloadOptions, 'dataType'>,
  name: string,
  progress: (line: string) => void,
): Promise<FormedNetwork> {
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    progress(
      `${name}: starting daemons, waiting for ≥ ${settings.degree} links per node (attempt ${attempt}/${FORM_ATTEMPTS})`,
    );
    const cluster: BenchCluster =
      mode === 'in-process'
        ? await startInProcessCluster(settings, FORM_TIMEOUT_MS)
        : await startProcessCluster(settings, FORM_TIMEOUT_MS, progress);
    const workload = await Workload.connect(cluster.apiEndpoints, { ...workloadOptions, dataType: DATA_TYPE });
    let reach = await workload.warmUp(WARM_UP_TIMEOUT_MS);
    if (reach < settings.nodes) {
      // A slow handshake may still join the parts: probe once more before calling it partitioned.
      progress(`${name}: the warm-up item reached ${reach}/${settings.nodes} subscribers; probing again`);
      reach = await workload.warmUp(WARM_UP_TIMEOUT_MS);
    }
    const formed = `overlay stable after ${((performance.now() - started) / 1000).toFixed(1)} s`;
    if (reach === settings.nodes || attempt === FORM_ATTEMPTS) {
      const note = reach === settings.nodes ? 'connected' : 'STILL PARTITIONED, measuring it as it is';
      progress(`${name}: ${formed}; warm-up item reached ${reach}/${settings.nodes} subscribers: ${note}`);
      return { cluster, workload, attempts: attempt, reach };
    }
    progress(
      `${name}: ${formed} but PARTITIONED: the second warm-up item reached ${reach}/${settings.nodes} subscribers; retrying`,
    );
    workload.close();
    await cluster.close();
  }
}
