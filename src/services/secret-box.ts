// Encrypts API SecretKeys at rest with AES-256-GCM. The HMAC signature schemes need the secret itself, so it
// cannot be hashed like a password; instead it is sealed with a master key that never enters the database.
//
// Master key: `config.masterKey` when set (multi-node deployments must set the same value on every node), else
// 32 random bytes generated once into <dataDir>/master.key (mode 0600) and read back on later starts.
// The key actually used is HKDF-SHA256(master, info "imageshare api-key secret"), so a passphrase works too.
// Each sealed value is bound to its row (AAD = the SecretId): a ciphertext copied onto another key fails to open.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {}

export class SecretBox {
  private readonly key: Buffer;

  constructor(masterKey: string | Buffer) {
    const material = typeof masterKey === 'string' ? Buffer.from(masterKey, 'utf8') : masterKey;
    if (material.length < 16) throw new SecretBoxError('the master key must be at least 16 bytes');
    this.key = Buffer.from(hkdfSync('sha256', material, 'imageshare', 'imageshare api-key secret', 32));
  }

  /** Returns `v1:<base64(iv | tag | ciphertext)>`, ASCII, well under the column's 255 characters for short secrets. */
  seal(plaintext: string, associatedData: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  /** Throws SecretBoxError when the value was sealed with another key, for another row, or was altered. */
  open(sealed: string, associatedData: string): string {
    const [version, payload] = sealed.split(':', 2);
    if (version !== VERSION || !payload) throw new SecretBoxError('unknown sealed-value format');
    const raw = Buffer.from(payload, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('sealed value too short');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new SecretBoxError('cannot decrypt: wrong master key or altered value');
    }
  }
}

/**
 * The master key material: the configured value, else the contents of <dataDir>/master.key, created on first
 * use with 32 random bytes (mode 0600). The key is written whole to a temporary file and then hard-linked into
 * place, which fails if the name exists: two processes starting together agree on one complete key.
 */
export function loadMasterKey(configured: string, dataDir: string): Buffer {
  if (configured) return Buffer.from(configured, 'utf8');
  const file = join(dataDir, 'master.key');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, randomBytes(32).toString('base64') + '\n', { flag: 'wx', mode: 0o600 });
  try {
    linkSync(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(temp);
  }
  const text = readFileSync(file, 'utf8').trim();
  const key = Buffer.from(text, 'base64');
  if (key.length < 16) throw new SecretBoxError(`${file} does not hold a base64 key of at least 16 bytes`);
  return key;
}
