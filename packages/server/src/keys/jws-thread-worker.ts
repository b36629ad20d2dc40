// The thread of keys/jws-thread.ts: receives batches of JWS signing inputs, each with the key (by
// reference) to sign it with, and answers with the signatures in the same order. Keys arrive once,
// in the batch that first uses them, and leave when the main thread retires them; the thread never
// sees anything else.
import type { KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { signJws } from './jws-signature.ts';

export interface ThreadBatch {
  /** Keys not sent before: reference, key, JWS `alg`, digest. */
  keys: [number, KeyObject, string, string | null][];
  /** Keys retired, by reference. */
  forget: number[];
  /** Signing inputs, each with its key's reference. */
  jobs: [number, string][];
}

const keys = new Map<number, { key: KeyObject; alg: string; hash: string | null }>();

parentPort?.on('message', (batch: ThreadBatch) => {
  for (const ref of batch.forget) keys.delete(ref);
  for (const [ref, key, alg, hash] of batch.keys) keys.set(ref, { key, alg, hash });
  const signatures: (string | null)[] = [];
  for (const [ref, input] of batch.jobs) {
    const entry = keys.get(ref);
    try {
      signatures.push(entry ? signJws(entry.alg, entry.hash, entry.key, Buffer.from(input)) : null);
    } catch {
      // The main thread signs this one itself.
      signatures.push(null);
    }
  }
  parentPort?.postMessage(signatures);
});
