/**
 * The `gossip` command: bin/gossip.js runs the compiled dist/runtime/cli/cli.js with plain
 * node; in development `tsx runtime/cli/cli.ts` runs this file from source. Each subcommand is a module in runtime/cli/ that exports one
 * `register…Command(program)` function; add yours to COMMANDS below.
 *
 * Exit codes: 0 ok; 1 runtime failure or usage error; 2 bad configuration (one line on stderr,
 * `gossip: <file>: <key>: <problem>`, never a stack trace; docs/protocol.md §5).
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerClientToolCommands } from './client-tools.js';
import { registerConformanceCommand } from './conformance.js';
import { registerDaemonCommand } from './daemon.js';
import { registerKeygenCommand } from './keygen.js';
import { ConfigError, GossipError } from '../errors.js';

/** Registers one subcommand on the program. */
export type RegisterCommand = (program: Command) => void;

/** Every subcommand, in `--help` order. */
const COMMANDS: readonly RegisterCommand[] = [
  registerDaemonCommand,
  registerKeygenCommand,
  registerConformanceCommand,
  registerClientToolCommands,
];

/** This package's name (package.json). */
const PACKAGE_NAME = 'voidphone-gossip';

export const EXIT_FAILURE = 1;
export const EXIT_BAD_CONFIG = 2;

export function buildProgram(): Command {
  const program = new Command('gossip')
    .description('VoidPhone Gossip module: daemon and tools')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run gossip --help for usage)');
  for (const register of COMMANDS) register(program);
  program.addHelpText('after', () => everyOption(program));
  return program;
}

/** `gossip --help` lists every subcommand's options too, so one screen shows them all. */
function everyOption(program: Command): string {
  const help = program.createHelp();
  const lines = ['', 'Options of each command:'];
  for (const command of program.commands) {
    lines.push(`  gossip ${command.name()}`);
    for (const option of help.visibleOptions(command)) {
      if (option.long === '--help') continue;
      lines.push(`    ${option.flags.padEnd(22)} ${help.optionDescription(option)}`);
    }
  }
  lines.push(
    '',
    `Exit codes: 0 ok, ${EXIT_FAILURE} failure, ${EXIT_BAD_CONFIG} bad configuration. Set GOSSIP_DEBUG=1 for stack traces.`,
  );
  return lines.join('\n');
}

/** Runs the CLI; never lets an error escape as a stack trace unless GOSSIP_DEBUG is set. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    process.stderr.write(`gossip: ${describeFailure(error)}\n`);
    if (process.env.GOSSIP_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exit(error instanceof ConfigError ? EXIT_BAD_CONFIG : EXIT_FAILURE);
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof GossipError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

/** The version in this package's package.json: two levels up from source, three from dist/. */
function packageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not there: try the next level
    }
  }
  return '0.0.0';
}

await main(process.argv);
