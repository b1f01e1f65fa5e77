/**
 * The daemon's structured logger (pino). On a terminal the lines are human-readable
 * (pino-pretty, in-process and synchronous so nothing is lost on exit); otherwise each line is
 * one JSON object for log collectors. Logs go to stdout.
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { LOG_LEVELS } from './constants.js';
import { show } from './host-port.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Force pretty (true) or JSON (false) output; default: pretty exactly when stdout is a TTY. */
  readonly pretty?: boolean;
  /** Where the lines go; default stdout. */
  readonly destination?: NodeJS.WritableStream;
}

/** A logger at `level` (`fatal` … `trace`, or `silent`), named `name` (default `gossip`). */
export function createLogger(level: string, name = 'gossip', options: LoggerOptions = {}): Logger {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new RangeError(`unknown log level ${show(level)}, expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const destination = options.destination ?? process.stdout;
  const isPretty = options.pretty ?? (destination === process.stdout && process.stdout.isTTY === true);
  const settings = { level, name };
  if (!isPretty) {
    return options.destination === undefined ? pino(settings) : pino(settings, destination);
  }
  const stream = pretty({
    destination,
    sync: true,
    colorize: destination === process.stdout && process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  return pino(settings, stream);
}
