import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authChallenge } from './challenge.ts';

test('RFC 6750 §3.1: without credentials the challenge is bare; with an error it names it and the scope', () => {
  assert.equal(authChallenge(['Bearer']), 'Bearer realm="portcullis"');
  assert.equal(
    authChallenge(['Bearer'], { code: 'insufficient_scope', description: 'needs more', scope: 'read write' }),
    'Bearer realm="portcullis", error="insufficient_scope", error_description="needs more", scope="read write"',
  );
});

test('RFC 9449 §7.1: a DPoP challenge lists the accepted algorithms; several schemes are comma-joined', () => {
  const value = authChallenge(['DPoP', 'Bearer'], { code: 'invalid_token', description: 'x' });
  assert.match(
    value,
    /^DPoP realm="portcullis", algs="[^"]*ES256[^"]*", error="invalid_token", error_description="x", Bearer realm="portcullis", error="invalid_token"/,
  );
});

test('RFC 9110 §5.6.4: quotes and backslashes in a description are escaped inside the quoted string', () => {
  assert.equal(
    authChallenge(['Bearer'], { code: 'invalid_token', description: 'say "no" \\ now' }),
    'Bearer realm="portcullis", error="invalid_token", error_description="say \\"no\\" \\\\ now"',
  );
});
