import assert from 'node:assert/strict';
import { parseHostPort } from '../runtime/host-port.js';

describe('parseHostPort (runtime/host-port.ts): port 0', () => {
  it('is refused for an address to dial', () => {
    assert.deepEqual(parseHostPort('example.org:0'), { ok: false, reason: 'port must be 1..65535, got "0"' });
  });

  it('means "any free port" for an address to listen on (api_address, p2p_address, metrics_address)', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:0', true), {
      ok: true,
      value: { host: '127.0.0.1', port: 0, family: 4 },
    });
    assert.deepEqual(parseHostPort('[::1]:0', true), { ok: true, value: { host: '::1', port: 0, family: 6 } });
    assert.deepEqual(parseHostPort('127.0.0.1:65536', true), {
      ok: false,
      reason: 'port must be 0..65535, got "65536"',
    });
  });
});
