import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const argon2Async = promisify(argon2);

export interface Argon2Params {
  /** KiB */
  memory: number;
  passes: number;
  parallelism: number;
}

const TAG_LENGTH = 32;
const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

// NIST SP 800-63B §5.1.1.2: passwords are compared after Unicode normalization.
const normalize = (password: string) => password.normalize('NFKC');

async function derive(password: string, salt: Buffer, params: Argon2Params, length: number): Promise<Buffer> {
  return argon2Async('argon2id', {
    message: normalize(password),
    nonce: salt,
    memory: params.memory,
    passes: params.passes,
    parallelism: params.parallelism,
    tagLength: length,
  });
}

/** An argon2id hash in the PHC string format, e.g. `$argon2id$v=19$m=19456,t=2,p=1$salt$hash`. */
export async function hashPassword(password: string, params: Argon2Params): Promise<string> {
  const salt = randomBytes(16);
  const tag = await derive(password, salt, params, TAG_LENGTH);
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$argon2id$v=19$m=${params.memory},t=${params.passes},p=${params.parallelism}$${b64(salt)}$${b64(tag)}`;
}

/**
 * Checks a password against a stored hash in constant time. `needsRehash` is true when the
 * hash was made with other parameters than today's, so the caller can upgrade it on login.
 */
export async function verifyPassword(
  stored: string,
  password: string,
  params: Argon2Params,
): Promise<{ ok: boolean; needsRehash: boolean }> {
  const m = PHC.exec(stored);
  if (!m) return { ok: false, needsRehash: false };
  const used = { memory: Number(m[1]), passes: Number(m[2]), parallelism: Number(m[3]) };
  const expected = Buffer.from(m[5] ?? '', 'base64');
  const actual = await derive(password, Buffer.from(m[4] ?? '', 'base64'), used, expected.length);
  const ok = actual.length === expected.length && timingSafeEqual(actual, expected);
  const needsRehash = used.memory !== params.memory || used.passes !== params.passes || used.parallelism !== params.parallelism;
  return { ok, needsRehash };
}

/**
 * Spends the same work as a real check, for an unknown user, so that "no such user" and
 * "wrong password" take the same time.
 */
export async function burnPasswordCheck(password: string, params: Argon2Params): Promise<void> {
  await derive(password, randomBytes(16), params, TAG_LENGTH);
}
