// The master (key-wrapping) key: PORTCULLIS_MASTER_KEY or the data directory's key file.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

export interface MasterKeySource {
  /** PORTCULLIS_MASTER_KEY: 64 hex digits or 43 base64url characters. */
  masterKey?: string | undefined;
  dataDir: string;
}

export const MASTER_KEY_FILE = 'master.key';

function decode(text: string, origin: string): Uint8Array {
  const value = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value.replace(/=+$/, ''), 'base64url');
  if (bytes.length !== 32) throw new MasterKeyError(`${origin}: expected 32 bytes as 64 hex digits or 43 base64url characters`);
  return new Uint8Array(bytes);
}

/**
 * The 256-bit key that wraps every data key. From the environment when set; otherwise from
 * `<dataDir>/master.key`, created on first run readable by its owner only.
 */
export function loadMasterKey(source: MasterKeySource): { key: Uint8Array; origin: string } {
  if (source.masterKey) return { key: decode(source.masterKey, 'PORTCULLIS_MASTER_KEY'), origin: 'PORTCULLIS_MASTER_KEY' };
  const path = join(source.dataDir, MASTER_KEY_FILE);
  mkdirSync(source.dataDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails if the file exists, so two processes starting together never overwrite each other's key.
    writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new MasterKeyError(`${path}: cannot create the master key file (${(err as NodeJS.ErrnoException).code})`);
    }
  }
  let text: string;
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MasterKeyError(`${path}: cannot read the master key file (${(err as NodeJS.ErrnoException).code})`);
  }
  return { key: decode(text, path), origin: path };
}
