/**
 * `gossip keygen [-o FILE]`: write a new 4096-bit RSA hostkey (PKCS#1 PEM, mode 0600) and
 * print its identity on stdout: hex SHA-256 of the public key as DER SubjectPublicKeyInfo
 * (runtime/hostkey.ts; docs/protocol.md §5).
 */
import { createPrivateKey } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { Command } from 'commander';
import { HOSTKEY_EXPECTED_BITS } from '../constants.js';
import { GossipError } from '../errors.js';
import { generateHostKeyPem, hostIdentity } from '../hostkey.js';

/** Only the owner may read a private key. */
const HOSTKEY_FILE_MODE = 0o600;

interface KeygenOptions {
  output: string;
  force?: boolean;
}

export function registerKeygenCommand(program: Command): void {
  program
    .command('keygen')
    .description(
      `write a new ${HOSTKEY_EXPECTED_BITS}-bit RSA hostkey (PEM, mode 0600) and print its identity, the hex SHA-256 of the DER SubjectPublicKeyInfo public key`,
    )
    .option('-o, --output <file>', 'where to write the key', 'hostkey.pem')
    .option('-f, --force', 'overwrite the file if it exists')
    .action((options: KeygenOptions) => runKeygen(options));
}

async function runKeygen(options: KeygenOptions): Promise<void> {
  // Claim the file before the slow key generation, so a clash is reported at once.
  const file = await openOutput(options);
  try {
    const pem = await generateHostKeyPem(HOSTKEY_EXPECTED_BITS);
    await file.truncate(0);
    await file.writeFile(pem);
    // An overwritten file keeps its old mode: set it explicitly.
    await file.chmod(HOSTKEY_FILE_MODE);
    const identity = hostIdentity(createPrivateKey(pem)).toString('hex');
    process.stderr.write(
      `wrote ${options.output} (${HOSTKEY_EXPECTED_BITS}-bit RSA, mode 0600); identity (SHA-256 of the DER SPKI public key):\n`,
    );
    process.stdout.write(`${identity}\n`);
  } finally {
    await file.close();
  }
}

async function openOutput(options: KeygenOptions): Promise<FileHandle> {
  try {
    return await open(options.output, options.force === true ? 'w' : 'wx', HOSTKEY_FILE_MODE);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'EEXIST')
      throw new GossipError('output-exists', `keygen: ${options.output} already exists (use --force to overwrite)`);
    throw new GossipError(
      'output-unwritable',
      `keygen: cannot write ${options.output}: ${typeof code === 'string' ? code : String(error)}`,
    );
  }
}
