import assert from 'node:assert/strict';
import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { generateSigningKey } from '../../keys/generate-signing-key.ts';
import { activeKey } from '../../keys/signing-keys.ts';
import { signJwt } from './sign-jwt.ts';

// ES256 is signed on the event loop as DER and converted to r‖s; about one signature in 128 has an
// r or s shorter than 32 bytes, which the conversion must pad. 2,000 signatures make missing such
// a case all but impossible (p < 1e-6); the other algorithms need fewer.
const ROUNDS = { ES256: 2000, EdDSA: 50, RS256: 10 } as const;

for (const alg of ['ES256', 'EdDSA', 'RS256'] as const) {
  test(`signJwt with an ${alg} key: every JWT verifies with jose against the public JWK`, async () => {
    const generated = await generateSigningKey(alg);
    const key = await activeKey(generated.kid, alg, createPrivateKey({ key: generated.privateJwk as JsonWebKey, format: 'jwk' }));
    const jwks = createLocalJWKSet({ keys: [generated.publicJwk] });
    for (let i = 0; i < ROUNDS[alg]; i++) {
      const jwt = await signJwt(key, 'at+jwt', { sub: `user-${i}`, n: i });
      assert.deepEqual(decodeProtectedHeader(jwt), { alg, typ: 'at+jwt', kid: generated.kid });
      const { payload } = await jwtVerify(jwt, jwks, { algorithms: [alg], typ: 'at+jwt' });
      assert.equal(payload.sub, `user-${i}`);
      if (alg === 'ES256') assert.equal(Buffer.from(jwt.split('.')[2] as string, 'base64url').length, 64);
    }
  });
}
