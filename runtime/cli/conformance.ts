/**
 * `gossip conformance`: runs the conformance suite (through runtime/conformance-entry.ts) against any Gossip
 * implementation, spawned by the suite (`--spawn 'CMD {config}' --nodes N`) or already
 * running (`--api host:port,…`). Exit code 0 only when no case failed. CONFORMANCE.md
 * explains the cases and how to read a failure.
 */
import { Command, InvalidArgumentError } from 'commander';
import {
  DEFAULT_POW_DIFFICULTY_BITS,
  DEFAULT_VALIDATION_TIMEOUT_S,
  DEFAULT_GRAFT_TIMEOUT_S,
  DEFAULT_PEER_REQUEST_INTERVAL_S,
  DEFAULT_VERIFICATION_TIMEOUT_S,
  HOSTKEY_EXPECTED_BITS,
} from '../constants.js';
import { chooseCases, listCases, runSuite, type Group } from '../conformance-entry.js';

interface ConformanceOptions {
  spawn?: string;
  nodes: number;
  api?: string[];
  p2p?: string[];
  set?: Record<string, string>;
  setNode?: Record<number, Record<string, string>>;
  exclude?: string[];
  force?: boolean;
  group: string;
  only?: string[];
  list?: boolean;
  json?: boolean;
  junit?: string;
  powDifficulty?: number;
  validationTimeout?: number;
  verificationTimeout?: number;
  wait: number;
  quiet: number;
  hostkeyBits: number;
  startupTimeout: number;
  readyTimeout: number;
}

const integer =
  (name: string, min: number, max: number) =>
  (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new InvalidArgumentError(`${name} must be an integer ${min}..${max}, got ${JSON.stringify(text)}`);
    return value;
  };
const seconds =
  (name: string) =>
  (text: string): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0)
      throw new InvalidArgumentError(`${name} must be a positive number of seconds, got ${JSON.stringify(text)}`);
    return value;
  };
const list = (text: string, previous: string[] = []): string[] => [
  ...previous,
  ...text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];
const keyValue = (text: string, previous: Record<string, string> = {}): Record<string, string> => {
  const match = /^([A-Za-z0-9_.-]+)=(.*)$/.exec(text);
  if (!match) throw new InvalidArgumentError(`--set wants key=value, got ${JSON.stringify(text)}`);
  return { ...previous, [match[1]!]: match[2]! };
};

const nodeKeyValue = (
  text: string,
  previous: Record<number, Record<string, string>> = {},
): Record<number, Record<string, string>> => {
  const match = /^(\d+):([A-Za-z0-9_.-]+)=(.*)$/.exec(text);
  if (!match) throw new InvalidArgumentError(`--set-node wants INDEX:key=value, got ${JSON.stringify(text)}`);
  const index = Number(match[1]);
  return { ...previous, [index]: { ...(previous[index] ?? {}), [match[2]!]: match[3]! } };
};

export function registerConformanceCommand(program: Command): void {
  program
    .command('conformance')
    .description('check a Gossip implementation against docs/protocol.md, rule by rule (see CONFORMANCE.md)')
    .option(
      '--spawn <command>',
      'start the nodes with this shell command; {config} becomes the INI path, {index} the node number, {dir} the folder of configs',
    )
    .option('-n, --nodes <n>', 'nodes to spawn (the api group needs 3 for every case)', integer('--nodes', 1, 64), 3)
    .option('--api <addresses>', 'API addresses of running nodes, comma-separated (node 0 first)', list)
    .option('--p2p <addresses>', 'P2P addresses of those nodes, same order (enables the p2p group with --api)', list)
    .option(
      '--set <key=value>',
      "extra config key for spawned nodes ([gossip] key, or section.key; {index}, {dir} and {peers}, the other nodes' P2P addresses, are filled in per node); repeatable",
      keyValue,
    )
    .option('--set-node <i:key=value>', 'extra config key for node I only (wins over --set); repeatable', nodeKeyValue)
    .option('--exclude <ids>', 'leave out these case ids or prefixes (* wildcard), comma-separated', list)
    .option('--force', 'run the cases even when the overlay did not form (else exit 2)')
    .option('--group <group>', 'api, p2p or all', 'all')
    .option('--only <ids>', 'run only these case ids or prefixes (* wildcard), comma-separated', list)
    .option('--list', 'list the chosen cases and exit')
    .option('--json', 'print a JSON report instead of the console report')
    .option('--junit <file>', 'also write a JUnit XML report to this file')
    .option(
      '--pow-difficulty <bits>',
      `the implementation's pow_difficulty (default: --set pow_difficulty, else ${DEFAULT_POW_DIFFICULTY_BITS})`,
      integer('--pow-difficulty', 0, 64),
    )
    .option(
      '--validation-timeout <s>',
      `its validation_timeout (default: --set validation_timeout, else ${DEFAULT_VALIDATION_TIMEOUT_S})`,
      seconds('--validation-timeout'),
    )
    .option(
      '--verification-timeout <s>',
      `its verification_timeout (default: --set verification_timeout, else ${DEFAULT_VERIFICATION_TIMEOUT_S})`,
      seconds('--verification-timeout'),
    )
    .option('--wait <ms>', 'how long to wait for something that must happen', integer('--wait', 100, 600_000), 3_000)
    .option(
      '--quiet <ms>',
      'how long to watch for something that must not happen',
      integer('--quiet', 50, 600_000),
      1_000,
    )
    .option(
      '--hostkey-bits <bits>',
      'RSA size of the hostkeys written for spawned nodes',
      integer('--hostkey-bits', 1024, 8192),
      HOSTKEY_EXPECTED_BITS,
    )
    .option(
      '--startup-timeout <s>',
      'seconds a spawned node may take to open its API port',
      seconds('--startup-timeout'),
      30,
    )
    .option(
      '--ready-timeout <s>',
      "seconds to wait for node 0's items to reach every node",
      seconds('--ready-timeout'),
      30,
    )
    .action((options: ConformanceOptions) => runConformance(options));
}

async function runConformance(given: ConformanceOptions): Promise<void> {
  const options = {
    ...given,
    api: given.api ?? [],
    p2p: given.p2p ?? [],
    set: given.set ?? {},
    setNode: given.setNode ?? {},
    only: given.only ?? [],
    exclude: given.exclude ?? [],
  };
  const groups = parseGroups(options.group);
  if (options.list) {
    process.stdout.write(`${listCases(chooseCases(groups, options.only, options.exclude))}\n`);
    return;
  }
  if (options.spawn && options.api.length > 0) throw new Error('give either --spawn or --api, not both');
  const fromSet = (key: string): number | undefined =>
    options.set[key] === undefined ? undefined : Number(options.set[key]);
  const powDifficulty = options.powDifficulty ?? fromSet('pow_difficulty') ?? DEFAULT_POW_DIFFICULTY_BITS;
  const validationS = options.validationTimeout ?? fromSet('validation_timeout') ?? DEFAULT_VALIDATION_TIMEOUT_S;
  const verificationS =
    options.verificationTimeout ?? fromSet('verification_timeout') ?? DEFAULT_VERIFICATION_TIMEOUT_S;
  for (const [name, value] of [
    ['pow_difficulty', powDifficulty],
    ['validation_timeout', validationS],
    ['verification_timeout', verificationS],
  ] as const) {
    if (!Number.isFinite(value))
      throw new Error(`--set ${name} must be a number, got ${JSON.stringify(options.set[name])}`);
  }
  const run = await runSuite(
    {
      spawn: options.spawn ?? null,
      nodes: options.nodes,
      api: options.api,
      p2p: options.p2p,
      set: options.set,
      setNode: options.setNode,
      exclude: options.exclude,
      force: options.force === true,
      groups,
      only: options.only,
      hostkeyBits: options.hostkeyBits,
      startupTimeoutMs: options.startupTimeout * 1000,
      readyTimeoutMs: options.readyTimeout * 1000,
      settings: {
        powDifficulty,
        validationTimeoutMs: validationS * 1000,
        verificationTimeoutMs: verificationS * 1000,
        peerRequestIntervalMs: (fromSet('peer_request_interval') ?? DEFAULT_PEER_REQUEST_INTERVAL_S) * 1000,
        graftTimeoutMs: (fromSet('graft_timeout') ?? DEFAULT_GRAFT_TIMEOUT_S) * 1000,
        waitMs: options.wait,
        quietMs: options.quiet,
      },
      json: options.json === true,
      junitPath: options.junit ?? null,
      progress: process.stderr.isTTY === true,
    },
    { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) },
  );
  process.exitCode = run.exitCode;
  for (const index of Object.keys(options.setNode).map(Number)) {
    if (index >= options.nodes)
      process.stderr.write(`warning: --set-node ${index}:… names no node (the run has ${options.nodes})\n`);
  }
}

function parseGroups(text: string): Group[] {
  if (text === 'all') return ['api', 'p2p'];
  if (text === 'api' || text === 'p2p') return [text];
  throw new Error(`--group must be api, p2p or all, got ${JSON.stringify(text)}`);
}
