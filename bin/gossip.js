#!/usr/bin/env node
// Entry point of the `gossip` command: loads the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../runtime/cli/cli.js');
