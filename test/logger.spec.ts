import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createLogger } from '../runtime/logger.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

describe('createLogger', () => {
  it('writes one JSON object per line when not on a terminal', () => {
    const out = capture();
    const logger = createLogger('info', 'gossip', { destination: out.stream, pretty: false });
    logger.info({ api: '127.0.0.1:7001' }, 'listening');
    const lines = out.text().trim().split('\n');
    assert.equal(lines.length, 1);
    const record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.equal(record.msg, 'listening');
    assert.equal(record.level, 30);
    assert.equal(record.name, 'gossip');
    assert.equal(record.api, '127.0.0.1:7001');
  });

  it('writes human-readable lines when pretty', () => {
    const out = capture();
    createLogger('info', 'gossip', { destination: out.stream, pretty: true }).warn('peer gone');
    const text = out.text();
    assert.match(text, /WARN.*\(gossip\).*peer gone/);
    assert.throws(() => JSON.parse(text));
  });

  it('drops lines below the configured level', () => {
    const out = capture();
    const logger = createLogger('warn', 'gossip', { destination: out.stream, pretty: false });
    logger.info('hidden');
    logger.debug('hidden too');
    logger.error('shown');
    assert.deepEqual(
      out
        .text()
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { msg: string }).msg),
      ['shown'],
    );
  });

  it('refuses an unknown level', () => {
    assert.throws(() => createLogger('loud'), /unknown log level "loud"/);
  });
});
