// Preloaded (`node --import`) into a process a test spawns: when the process exits, writes what
// it used to the file named by GOSSIP_TEST_USAGE_FILE, as JSON. CPU time, peak memory and bytes
// read measure the work a command did, which the machine's load does not change, where its wall
// time does (test/support/gossip-cli.ts).
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.GOSSIP_TEST_USAGE_FILE;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    let bytesRead = null;
    try {
      // Linux: bytes this process asked read(2) and pread(2) for, all threads, page cache included.
      bytesRead = Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? NaN);
    } catch {
      // No /proc (another system): the test checks CPU and memory only.
    }
    const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
    writeFileSync(file, JSON.stringify({ cpuMs, maxRssBytes: usage.maxRSS * 1024, bytesRead }));
  });
}
