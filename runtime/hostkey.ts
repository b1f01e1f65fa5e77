/**
 * The node's hostkey (docs/protocol.md §5): an RSA private key in PEM, 4096 bits expected.
 * identity = SHA-256 of the public key encoded as DER SubjectPublicKeyInfo (SPKI), the
 * bytes `openssl rsa -in hostkey.pem -pubout -outform DER | sha256sum` hashes.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { readRegularFile } from './bounded-file.js';
import { HOSTKEY_EXPECTED_BITS, HOSTKEY_FILE_MAX_BYTES } from './constants.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** A parsed hostkey. */
export interface HostKey {
  privateKey: KeyObject;
  /** RSA modulus length. */
  bits: number;
  /** SHA-256 of the DER SPKI public key (32 bytes). */
  identity: Buffer;
}

/** Outcome of parsing PEM text: a key, or a one-line reason it is not a usable hostkey. */
export type HostKeyParse = { ok: true; key: HostKey } | { ok: false; reason: string };

/**
 * A new RSA private key as PKCS#1 PEM ("BEGIN RSA PRIVATE KEY", what `openssl genrsa`
 * wrote for years and every VoidPhone module reads). Runs off the event loop.
 */
export async function generateHostKeyPem(bits: number = HOSTKEY_EXPECTED_BITS): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: bits,
    publicExponent: 0x10001,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return privateKey;
}

/** identity = SHA-256(DER SPKI of the public key), see the file comment. */
export function hostIdentity(privateKey: KeyObject): Buffer {
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest();
}

/** Parse PEM text as an unencrypted RSA private key (PKCS#1 or PKCS#8). */
export function parseHostKeyPem(pem: string): HostKeyParse {
  if (!pem.includes('-----BEGIN')) return { ok: false, reason: 'not a PEM file' };
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const encrypted = code === 'ERR_MISSING_PASSPHRASE' || /passphrase/i.test(String(error));
    return {
      ok: false,
      reason: encrypted ? 'private key is encrypted (a passphrase is not supported)' : 'not a private key PEM',
    };
  }
  if (privateKey.asymmetricKeyType !== 'rsa') {
    return { ok: false, reason: `not an RSA key (found ${privateKey.asymmetricKeyType ?? 'unknown type'})` };
  }
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  return { ok: true, key: { privateKey, bits, identity: hostIdentity(privateKey) } };
}

/**
 * Read a hostkey file: a regular file of at most HOSTKEY_FILE_MAX_BYTES (64 KiB), read through
 * a bounded read, so `/dev/zero` or a FIFO fails at once. The reason names the path:
 * `cannot read <path>: <why>` or `<path>: <what is wrong with the PEM>`.
 */
export function readHostKeyFile(path: string): HostKeyParse {
  const file = readRegularFile(path, HOSTKEY_FILE_MAX_BYTES);
  if (!file.ok) return { ok: false, reason: `cannot read ${path}: ${file.reason}` };
  const parsed = parseHostKeyPem(file.text);
  return parsed.ok ? parsed : { ok: false, reason: `${path}: ${parsed.reason}` };
}

/** Read and parse a hostkey file; throws a plain Error with a one-line reason. */
export function loadHostKey(path: string): HostKey {
  const parsed = readHostKeyFile(path);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.key;
}
