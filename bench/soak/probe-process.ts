/**
 * The honest probes of bench:soak in a process of their own, so that their latencies are
 * not the bench process's event-loop stalls (it also runs the flooder and the flood's
 * subscribers). Args: FROM TO[,TO…] INTERVAL_MS DATA_TYPE. Runs until a line arrives on
 * stdin, then prints one JSON line: probes sent, latencies (ms, sorted) and its own
 * event-loop delay.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseEndpoint } from '../../runtime/api/api-client.js';
import { Prober } from './clients.js';

const [from, to, intervalMs, dataType] = process.argv.slice(2);
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const prober = new Prober(Number(dataType));
await prober.start(parseEndpoint(from!), to!.split(',').map(parseEndpoint), Number(intervalMs));
process.stdout.write('started\n');
process.stdin.once(
  'data',
  () =>
    void (async () => {
      prober.stop();
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // the last probes arrive
      const result = {
        sent: prober.sent,
        receivers: to!.split(',').length,
        latencies: [...prober.latencies].sort((a, b) => a - b),
        slowest: prober.slowest.sort((a, b) => b[0] - a[0]).slice(0, 10),
        duplicates: prober.duplicates,
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        loopDelayMaxMs: loopDelay.max / 1e6,
      };
      process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
    })(),
);
