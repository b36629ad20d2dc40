import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { VerifiedTokens } from './verified-tokens.ts';

test("a token's cache key is its DPoP ath: the base64url SHA-256 of its ASCII (RFC 9449 §4.2)", () => {
  const token = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
  assert.equal(VerifiedTokens.keyOf(token), createHash('sha256').update(token, 'ascii').digest('base64url'));
  // RFC 9449 §7.1's example: this access token's ath.
  assert.equal(
    VerifiedTokens.keyOf('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU'),
    'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo',
  );
});

test('keyFor: a connection sending the same header again skips parsing and hashing; another header or connection does not', () => {
  const cache = new VerifiedTokens<string>(10);
  const [first, second] = [{}, {}];
  let parsed = 0;
  const tokenOf = (header: string) => {
    parsed++;
    return header.slice('Bearer '.length);
  };
  const key = cache.keyFor(first, 'Bearer a.b.c', tokenOf);
  assert.equal(key, VerifiedTokens.keyOf('a.b.c'));
  assert.equal(cache.keyFor(first, 'Bearer a.b.c', tokenOf), key);
  assert.equal(parsed, 1);
  assert.equal(cache.keyFor(first, 'Bearer a.b.d', tokenOf), VerifiedTokens.keyOf('a.b.d'));
  assert.equal(cache.keyFor(second, 'Bearer a.b.d', tokenOf), VerifiedTokens.keyOf('a.b.d'));
  assert.equal(parsed, 3);
  assert.throws(() =>
    cache.keyFor(first, 'Bearer  bad', () => {
      throw new Error('bad syntax');
    }),
  );
  assert.equal(cache.keyFor(first, 'Bearer a.b.d', tokenOf), VerifiedTokens.keyOf('a.b.d'), 'a refused header is not remembered');
  assert.equal(parsed, 3);
});
