#!/usr/bin/env node
// Entry point of the `gossip` command: the compiled CLI (dist/, `npm run build`), plain node.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/runtime/cli/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'gossip: dist/ is missing: run `npm run build` first (or `npx tsx runtime/cli/cli.ts …` from source)\n',
  );
  process.exit(1);
}
await import(cli.href);
