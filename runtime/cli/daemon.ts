/**
 * `gossip daemon [-c FILE]`: load the config (docs/protocol.md §5), make the logger, and run the
 * node (runtime/daemon.ts) until SIGINT/SIGTERM. Without `-c`, the built-in loopback config.
 */
import { Option, type Command } from 'commander';
import { describeConfig, readConfig } from '../config.js';
import { LOG_LEVELS } from '../constants.js';
import { GossipError } from '../errors.js';
import { createLogger } from '../logger.js';

interface DaemonOptions {
  config?: string;
  logLevel?: string;
  checkConfig?: boolean;
}

export function registerDaemonCommand(program: Command): void {
  program
    .command('daemon')
    .description('run a Gossip node (API and P2P servers) until SIGINT or SIGTERM')
    .option(
      '-c, --config <file>',
      'INI config file (docs/configuration.md); default: built-in config, API 127.0.0.1:7001, P2P 127.0.0.1:6001, no bootstrapper',
    )
    .addOption(new Option('--log-level <level>', "override the config's log_level").choices(LOG_LEVELS))
    .option('--check-config', 'validate the config, print it as INI with every default filled in, and exit')
    .action((options: DaemonOptions) => runDaemonCommand(options));
}

async function runDaemonCommand(options: DaemonOptions): Promise<void> {
  const { config, warnings } = readConfig(options.config ?? null);
  if (options.logLevel !== undefined) config.logLevel = options.logLevel;
  if (options.checkConfig === true) {
    for (const warning of warnings) process.stderr.write(`gossip: warning: ${warning}\n`);
    process.stdout.write(`${describeConfig(config)}\n`);
    return;
  }
  const logger = createLogger(config.logLevel);
  for (const warning of warnings) logger.warn(warning);
  logger.info({ config: config.configPath ?? 'built-in' }, 'starting gossip daemon');
  const runDaemon = await loadDaemon();
  await runDaemon(config, logger);
}

/**
 * The daemon is loaded only when this command runs, so that `keygen` and `--help` work even
 * while the daemon's own dependencies (generated codecs) are missing; a missing module is
 * reported as one line.
 */
async function loadDaemon(): Promise<typeof import('../daemon.js').runDaemon> {
  try {
    return (await import('../daemon.js')).runDaemon;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND') {
      const missing = /Cannot find module '([^']+)'/.exec(String(error))?.[1] ?? 'a module';
      const hint = missing.includes('/generated/') ? ' (run `npm run generate`)' : '';
      throw new GossipError('daemon-unavailable', `cannot load the daemon: ${missing} is missing${hint}`);
    }
    throw error;
  }
}
