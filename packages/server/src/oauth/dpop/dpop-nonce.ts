import type { SecretDigests } from '../../keys/index.ts';

/** A nonce is good for the window it was issued in and the next one: between 60 and 120 seconds. */
export const NONCE_WINDOW_MS = 60_000;

const nonceOf = (digests: SecretDigests, window: number) => digests.digest('dpop-nonce', `dpop-nonce v1 ${window}`);

/**
 * RFC 9449 §8: server-provided nonces. A nonce is the HMAC of the current time window under a key
 * derived from the master key, so every node issues the same value and validates any node's nonce
 * without storage. It proves only freshness (a proof cannot be made more than two windows ahead),
 * which is all §11.2 asks of it; single use is the job of the `jti` check.
 */
export function issueDpopNonce(digests: SecretDigests, now: number = Date.now()): string {
  return nonceOf(digests, Math.floor(now / NONCE_WINDOW_MS));
}

/** True for a nonce issued in this window or the previous one (constant-time comparison). */
export function checkDpopNonce(digests: SecretDigests, nonce: unknown, now: number = Date.now()): boolean {
  if (typeof nonce !== 'string' || nonce.length === 0) return false;
  const window = Math.floor(now / NONCE_WINDOW_MS);
  return [window, window - 1].some((w) => digests.matches('dpop-nonce', `dpop-nonce v1 ${w}`, nonce));
}
