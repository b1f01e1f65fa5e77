/**
 * The daemon's error hierarchy. Every error carries a stable `code` (for logs, metrics labels
 * and tests) and a one-line message meant for a human: no newlines, no stack in user output.
 * `DecodeError` / `EncodeError` live in generated/ because the codecs must not import runtime/.
 */

/** Base class: `code` is stable across releases; `message` is one line. */
export class GossipError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(oneLine(message), options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Codes of a bad configuration (docs/protocol.md §5). */
export type ConfigErrorCode =
  | 'unreadable-file'
  | 'malformed-ini'
  | 'missing-section'
  | 'missing-key'
  | 'not-a-number'
  | 'not-an-integer'
  | 'not-a-boolean'
  | 'out-of-range'
  | 'bad-value'
  | 'bad-address'
  | 'bad-hostkey';

/** A configuration that cannot be used; the message names file, key and problem. */
export class ConfigError extends GossipError {
  declare readonly code: ConfigErrorCode;
  /** The offending key (`hostkey`, `gossip.degree`, …) or null for the file as a whole. */
  readonly key: string | null;

  constructor(code: ConfigErrorCode, key: string | null, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.key = key;
  }
}

/** A peer or client broke the protocol (docs/protocol.md §1, §3, §4); the reason doubles as a metric label. */
export class ProtocolError extends GossipError {}

/** Proof of work could not be solved or checked (docs/protocol.md §4.1). */
export class PowError extends GossipError {}

/** Codes of a byte stream that cannot be cut into frames (docs/protocol.md §1). */
export type FramingErrorCode = 'size-too-small' | 'too-large';

/** A frame header whose size is impossible (docs/protocol.md §1). */
export class FramingError extends GossipError {
  declare readonly code: FramingErrorCode;

  constructor(code: FramingErrorCode, message: string) {
    super(code, message);
  }
}

/** User-facing messages are one line: fold any newline a cause may have carried in. */
function oneLine(message: string): string {
  return message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
