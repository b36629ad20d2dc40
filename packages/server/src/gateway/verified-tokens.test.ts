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
