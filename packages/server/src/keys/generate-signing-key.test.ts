import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { test } from 'node:test';
import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { generateSigningKey } from './generate-signing-key.ts';

for (const alg of ['ES256', 'EdDSA', 'RS256'] as const) {
  test(`${alg} keys: kid is the RFC 7638 thumbprint; a JWT they sign verifies against the public JWK`, async () => {
    const key = await generateSigningKey(alg);
    assert.equal(key.kid, await calculateJwkThumbprint(key.publicJwk, 'sha256'));
    assert.equal(key.publicJwk.alg, alg);
    assert.equal(key.publicJwk.use, 'sig');
    assert.equal(key.publicJwk.d, undefined, 'no private part in the public JWK');
    const privateKey = createPrivateKey({ key: key.privateJwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    const jwt = await new SignJWT({ sub: 'x' })
      .setProtectedHeader({ alg, kid: key.kid })
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(privateKey);
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet({ keys: [key.publicJwk] }));
    assert.equal(payload.sub, 'x');
    assert.equal(protectedHeader.kid, key.kid);
  });
}
