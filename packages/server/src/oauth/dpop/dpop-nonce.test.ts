import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { SecretDigests } from '../../keys/index.ts';
import { checkDpopNonce, issueDpopNonce, NONCE_WINDOW_MS } from './dpop-nonce.ts';

const digestsKey = randomBytes(32);
const digests = new SecretDigests(digestsKey);

beforeEach(() => mock.timers.enable({ apis: ['Date'], now: 10 * NONCE_WINDOW_MS }));
afterEach(() => mock.timers.reset());

test('a nonce is good in its window and the next, then stale', () => {
  const nonce = issueDpopNonce(digests);
  assert.equal(checkDpopNonce(digests, nonce), true);
  mock.timers.tick(NONCE_WINDOW_MS);
  assert.equal(checkDpopNonce(digests, nonce), true, 'the previous window is still accepted');
  assert.notEqual(issueDpopNonce(digests), nonce, 'a new window makes a new nonce');
  mock.timers.tick(NONCE_WINDOW_MS);
  assert.equal(checkDpopNonce(digests, nonce), false);
});

test('any node with the same master key accepts it; another key does not', () => {
  const nonce = issueDpopNonce(digests);
  assert.equal(checkDpopNonce(new SecretDigests(Buffer.from(digestsKey)), nonce), true);
  assert.equal(checkDpopNonce(new SecretDigests(randomBytes(32)), nonce), false);
});

test('a nonce from the future, or garbage, is refused', () => {
  assert.equal(checkDpopNonce(digests, issueDpopNonce(digests, Date.now() + NONCE_WINDOW_MS)), false);
  for (const value of [undefined, null, 42, '', 'x'.repeat(43)]) assert.equal(checkDpopNonce(digests, value), false);
});
