import { hash } from 'node:crypto';
import { PROOF_MAX_AGE_S, PROOF_MAX_FUTURE_S } from '../oauth/index.ts';
import type { GatewayRedis } from './rate-limiter.ts';

/** Every proof is refused once older than this, so a record of it need not outlive it. */
const GENERATION_MS = (PROOF_MAX_AGE_S + PROOF_MAX_FUTURE_S + 1) * 1000;

/**
 * DPoP proof `jti`s seen by this node (RFC 9449 §11.1), in memory: two generations of one proof
 * lifetime each, so a record lives between one and two lifetimes, every lookup and insert is O(1),
 * and forgetting is dropping a whole generation rather than sweeping entries. Each record is the
 * SHA-256 of the proof's id (key thumbprint and jti) as a 32-character string: about 84 bytes of
 * heap a proof against about 190 for the id itself (measured), and a client sending 256-character
 * jtis takes no more room than one sending short ones.
 */
export class UsedProofs {
  #current = new Set<string>();
  #previous = new Set<string>();
  #rotatedAt = Date.now();

  /** Records `id`; false when it was recorded already (a replay). */
  spend(id: string): boolean {
    const now = Date.now();
    if (now - this.#rotatedAt >= GENERATION_MS) {
      // After a long quiet spell both generations are stale.
      this.#previous = now - this.#rotatedAt >= 2 * GENERATION_MS ? new Set() : this.#current;
      this.#current = new Set();
      this.#rotatedAt = now;
    }
    const record = hash('sha256', id, 'binary');
    if (this.#current.has(record) || this.#previous.has(record)) return false;
    this.#current.add(record);
    return true;
  }

  get size(): number {
    return this.#current.size + this.#previous.size;
  }
}

/** Where the gateway records spent DPoP proofs: answers false for a proof seen before (a replay). */
export interface ProofLedger {
  spend(id: string, expiresAt: number): boolean | Promise<boolean>;
}

/** One node: memory only. */
export function memoryProofLedger(): ProofLedger {
  const used = new UsedProofs();
  return { spend: (id) => used.spend(id) };
}

/**
 * Several nodes: a proof is spent in this node's memory first (a replay to the same node costs
 * nothing more), then with SET NX in Redis until it would be too old anyway, so a replay to any
 * other node is refused too. If Redis cannot answer, memory alone decides and `onError` hears of
 * it: replay protection degrades to per node rather than taking the API down with Redis.
 */
export function redisProofLedger(redis: GatewayRedis, onError: (err: unknown) => void): ProofLedger {
  const used = new UsedProofs();
  return {
    async spend(id, expiresAt) {
      if (!used.spend(id)) return false;
      try {
        const ttl = Math.max(1000, expiresAt - Date.now());
        return (await redis.set(`portcullis:dpop:${id}`, '1', 'PX', ttl, 'NX')) === 'OK';
      } catch (err) {
        onError(err);
        return true;
      }
    },
  };
}
