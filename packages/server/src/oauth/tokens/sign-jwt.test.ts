import assert from 'node:assert/strict';
import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { generateSigningKey } from '../../keys/generate-signing-key.ts';
import { JwsThread } from '../../keys/jws-thread.ts';
import { activeKey } from '../../keys/signing-keys.ts';
import { signJwt } from './sign-jwt.ts';

// ES256 is signed as DER and converted to r‖s; about one signature in 128 has an r or s shorter
// than 32 bytes, which the conversion must pad. 2,000 signatures make missing such a case all but
// impossible (p < 1e-6); the other algorithms need fewer.
const ROUNDS = { ES256: 2000, EdDSA: 50, RS256: 10 } as const;

for (const [alg, threaded] of [
  ['ES256', false],
  ['ES256', true],
  ['EdDSA', false],
  ['EdDSA', true],
  ['RS256', false],
] as const) {
  const how = threaded ? 'all at once, batched to the signing thread' : 'one at a time, in place';
  test(`signJwt with an ${alg} key, ${how}: every JWT verifies with jose against the public JWK`, async (t) => {
    const generated = await generateSigningKey(alg);
    const signer = threaded ? new JwsThread() : undefined;
    t.after(() => signer?.close());
    const privateKey = createPrivateKey({ key: generated.privateJwk as JsonWebKey, format: 'jwk' });
    const key = await activeKey(generated.kid, alg, privateKey, signer);
    const jwks = createLocalJWKSet({ keys: [generated.publicJwk] });
    const payload = (i: number) => ({ sub: `user-${i}`, n: i });
    const jwts: string[] = [];
    if (threaded)
      jwts.push(...(await Promise.all(Array.from({ length: ROUNDS[alg] }, (_, i) => signJwt(key, 'at+jwt', payload(i))))));
    else for (let i = 0; i < ROUNDS[alg]; i++) jwts.push(await signJwt(key, 'at+jwt', payload(i)));
    assert.equal(signer?.threaded ?? false, threaded);
    for (const [i, jwt] of jwts.entries()) {
      assert.deepEqual(decodeProtectedHeader(jwt), { alg, typ: 'at+jwt', kid: generated.kid });
      const verified = await jwtVerify(jwt, jwks, { algorithms: [alg], typ: 'at+jwt' });
      assert.equal(verified.payload.sub, `user-${i}`);
      if (alg === 'ES256') assert.equal(Buffer.from(jwt.split('.')[2] as string, 'base64url').length, 64);
    }
  });
}
