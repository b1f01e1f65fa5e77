/**
 * Client tools for module authors, all talking to a node's API port (docs/protocol.md §3):
 *   gossip announce --type T [--ttl N] [--hex] DATA   spread one item
 *   gossip subscribe --type T [--invalid|--none] [--count N]  print NOTIFICATIONs and answer them
 *   gossip send-raw HEX… [--wait MS]                   send any bytes (malformed frames by hand)
 */
import { Command, InvalidArgumentError } from 'commander';
import type { GossipNotification } from '../../generated/index.js';
import { ApiClient, frameType } from '../api/api-client.js';
import { DEFAULT_API_ADDRESS } from '../constants.js';

/** How long `announce` waits for its frame to leave before closing. */
const FLUSH_TIMEOUT_MS = 2_000;

const u16 =
  (name: string) =>
  (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value > 0xffff)
      throw new InvalidArgumentError(`${name} must be an integer 0..65535, got ${JSON.stringify(text)}`);
    return value;
  };
const u8 =
  (name: string) =>
  (text: string): number => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value > 0xff)
      throw new InvalidArgumentError(`${name} must be an integer 0..255, got ${JSON.stringify(text)}`);
    return value;
  };
const positive =
  (name: string) =>
  (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1)
      throw new InvalidArgumentError(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
    return value;
  };
const types = (text: string, previous: number[]): number[] => [
  ...previous,
  ...text.split(',').map((part) => u16('--type')(part)),
];

/** Hex text (spaces, colons and 0x prefixes allowed) as bytes; throws a one-line Error. */
export function parseHex(text: string): Uint8Array {
  const digits = text.replace(/0x/gi, '').replace(/[\s:_-]/g, '');
  if (digits.length === 0 || digits.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(digits)) {
    throw new Error(`not an even number of hex digits: ${JSON.stringify(text)}`);
  }
  return Uint8Array.from(Buffer.from(digits, 'hex'));
}

/** One line per NOTIFICATION: id, type, length, hex, and the text when it is printable. */
export function describeNotification(notification: GossipNotification): string {
  const data = Buffer.from(notification.data);
  const text = data.toString('utf8');
  const printable = /^[\x20-\x7e\t]*$/.test(text) ? ` text=${JSON.stringify(text)}` : '';
  return `NOTIFICATION message_id=${notification.messageId} data_type=${notification.dataType} bytes=${data.length} data=${data.toString('hex')}${printable}`;
}

interface AnnounceOptions {
  api: string;
  type: number;
  ttl: number;
  hex?: boolean;
}
interface SubscribeOptions {
  api: string;
  type: number[];
  invalid?: boolean;
  none?: boolean;
  count?: number;
}
interface SendRawOptions {
  api: string;
  wait: number;
}

export function registerClientToolCommands(program: Command): void {
  program
    .command('announce')
    .description('spread one item through a node (GOSSIP ANNOUNCE, docs/protocol.md §3)')
    .argument('<data>', 'item data: text, or hex with --hex')
    .requiredOption('-t, --type <type>', 'data type (0..65535)', u16('--type'))
    .option('--ttl <n>', 'hops the item may travel; 0 = unlimited (0..255)', u8('--ttl'), 0)
    .option('--hex', 'DATA is hex, not text')
    .option('--api <host:port>', 'API address of the node', DEFAULT_API_ADDRESS)
    .action((data: string, options: AnnounceOptions) => announce(data, options));

  program
    .command('subscribe')
    .description('subscribe to data types, print each NOTIFICATION as it arrives and answer its VALIDATION')
    .requiredOption('-t, --type <types>', 'data type(s), comma-separated or repeated', types, [])
    .option('--invalid', 'answer valid=0 (the item is dropped and not forwarded)')
    .option('--none', 'do not answer at all (the item times out)')
    .option('-c, --count <n>', 'exit after this many notifications', positive('--count'))
    .option('--api <host:port>', 'API address of the node', DEFAULT_API_ADDRESS)
    .action((options: SubscribeOptions) => subscribe(options));

  program
    .command('send-raw')
    .description('send bytes exactly as given in one write (malformed frames by hand), then show what the node does')
    .argument('<hex...>', 'the bytes, in hex (spaces allowed)')
    .option('-w, --wait <ms>', 'how long to watch for replies or a close', positive('--wait'), 1_000)
    .option('--api <host:port>', 'API address of the node', DEFAULT_API_ADDRESS)
    .action((hex: string[], options: SendRawOptions) => sendRaw(hex.join(' '), options));
}

async function announce(data: string, options: AnnounceOptions): Promise<void> {
  const bytes = options.hex ? parseHex(data) : Uint8Array.from(Buffer.from(data, 'utf8'));
  const client = await ApiClient.connect(options.api);
  client.announce({ ttl: options.ttl, dataType: options.type, data: bytes });
  client.close();
  if (!(await client.waitClosed(FLUSH_TIMEOUT_MS))) client.destroy();
  process.stderr.write(
    `announced ${bytes.length} bytes, data_type ${options.type}, ttl ${options.ttl} to ${options.api}\n`,
  );
}

async function subscribe(options: SubscribeOptions): Promise<void> {
  if (options.invalid && options.none) throw new Error('give --invalid or --none, not both');
  const client = await ApiClient.connect(options.api);
  for (const dataType of options.type) client.notify(dataType);
  const answer = options.none ? 'no answer' : options.invalid ? 'valid=0' : 'valid=1';
  process.stderr.write(
    `subscribed to ${options.type.join(', ')} on ${options.api}; answering ${answer}; Ctrl-C to stop\n`,
  );
  process.once('SIGINT', () => client.destroy());
  let seen = 0;
  for await (const notification of client.notifications()) {
    process.stdout.write(`${describeNotification(notification)}\n`);
    if (!options.none) client.validate(notification.messageId, !options.invalid);
    if (options.count !== undefined && ++seen >= options.count) break;
  }
  if (client.isClosed && (options.count === undefined || seen < options.count)) {
    throw new Error(`the node closed the connection (${client.transport.closeReason})`);
  }
  client.close();
}

async function sendRaw(hex: string, options: SendRawOptions): Promise<void> {
  const bytes = parseHex(hex);
  const client = await ApiClient.connect(options.api);
  client.sendRaw(bytes);
  process.stdout.write(`sent ${bytes.length} bytes: ${Buffer.from(bytes).toString('hex')}\n`);
  const isClosed = await client.waitClosed(options.wait);
  for (const frame of client.transport.pending()) {
    process.stdout.write(`received type ${frameType(frame)}: ${Buffer.from(frame).toString('hex')}\n`);
  }
  if (client.transport.framingError)
    process.stdout.write(`the node sent a malformed frame: ${client.transport.framingError}\n`);
  process.stdout.write(
    isClosed ? `the node closed the connection\n` : `the connection is still open after ${options.wait} ms\n`,
  );
  client.destroy();
}
