import { createHash } from 'node:crypto';

/** SHA-256 of the concatenation of `parts`, without building the concatenation. */
export function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}
