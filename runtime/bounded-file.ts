/**
 * Bounded reads of the small files the daemon is given by path (config, hostkey, known peers).
 * The file is opened first and judged by fstat on that descriptor (no stat-then-read race): it
 * must be a regular file of at most `limitBytes`, and at most limitBytes + 1 bytes are ever
 * read, so `/dev/zero`, a FIFO, a directory or a 100 MB file fail at once with one line
 * instead of filling memory. Opened with O_NONBLOCK so that opening a FIFO does not wait for
 * a writer.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** The text of the file, or a one-line reason it was not read (`no such file`, `…`). */
export type BoundedRead = { ok: true; text: string } | { ok: false; reason: string };

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** Read a regular file of at most `limitBytes` as UTF-8 text. Never throws. */
export function readRegularFile(path: string, limitBytes: number): BoundedRead {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (error) {
    return { ok: false, reason: fsReason(error) };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { ok: false, reason: notRegularFile(stats) };
    if (stats.size > limitBytes) return { ok: false, reason: tooLarge(limitBytes, stats.size) };
    // A regular file may still grow while read, or report size 0 (procfs): read at most limit + 1.
    const buffer = Buffer.allocUnsafe(limitBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > limitBytes) return { ok: false, reason: tooLarge(limitBytes) };
    return { ok: true, text: buffer.toString('utf8', 0, length) };
  } catch (error) {
    return { ok: false, reason: fsReason(error) };
  } finally {
    closeSync(fd);
  }
}

/** `1 MiB`, `64 KiB`, `100 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function tooLarge(limitBytes: number, size?: number): string {
  return `larger than ${formatBytes(limitBytes)}${size === undefined ? '' : ` (${size} bytes)`}`;
}

function notRegularFile(stats: Stats): string {
  if (stats.isDirectory()) return 'is a directory';
  const kind = stats.isFIFO()
    ? 'a FIFO'
    : stats.isCharacterDevice()
      ? 'a character device'
      : stats.isBlockDevice()
        ? 'a block device'
        : stats.isSocket()
          ? 'a socket'
          : 'a special file';
  return `not a regular file (${kind})`;
}

/** A one-line reason for a failed open or read. */
export function fsReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'ENOTDIR') return 'a component of the path is not a directory';
  if (code === 'ENXIO') return 'not a regular file (a socket or a device without a driver)';
  if (code === 'ELOOP') return 'too many symbolic links';
  return typeof code === 'string' ? code : String(error);
}
