import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'node:test';
import { CompactSign, compactVerify } from 'jose';
import { signJws, verifyJws } from './jws-signature.ts';

const parts = (jws: string) => {
  const [h, p, s] = jws.split('.') as [string, string, string];
  return { input: Buffer.from(`${h}.${p}`), signature: Buffer.from(s, 'base64url') };
};

test('ES256: signatures jose makes verify, and ones signJws makes verify with jose (short r and s included)', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  for (let i = 0; i < 600; i++) {
    const jws = await new CompactSign(Buffer.from(`payload ${i}`)).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    const { input, signature } = parts(jws);
    assert.equal(verifyJws('ES256', 'sha256', publicKey, input, signature), true);
    const ours = `${input}.${signJws('ES256', 'sha256', privateKey, input)}`;
    await compactVerify(ours, publicKey);
  }
});

test('ES256: a signature of the wrong width, in DER, or altered is false, never an exception', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jws = await new CompactSign(Buffer.from('x')).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
  const { input, signature } = parts(jws);
  const verifies = (s: Buffer) => verifyJws('ES256', 'sha256', publicKey, input, s);
  assert.equal(verifies(signature.subarray(0, 63)), false);
  assert.equal(verifies(Buffer.concat([signature, Buffer.alloc(1)])), false);
  assert.equal(verifies(Buffer.alloc(0)), false);
  assert.equal(verifies(sign('sha256', input, privateKey)), false, 'DER is not a JWS signature');
  const flipped = Buffer.from(signature);
  flipped[10] = (flipped[10] as number) ^ 1;
  assert.equal(verifies(flipped), false);
  // r = 0 and s = 0 are out of range (SEC 1 §4.1.4), whatever the conversion makes of them.
  assert.equal(verifies(Buffer.alloc(64)), false);
  // The ES384 width with an ES256 key: false.
  assert.equal(verifyJws('ES384', 'sha384', publicKey, input, Buffer.alloc(96, 1)), false);
});

test('EdDSA: verifies Ed25519 signatures and refuses altered ones', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jws = await new CompactSign(Buffer.from('x')).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKey);
  const { input, signature } = parts(jws);
  assert.equal(verifyJws('EdDSA', null, publicKey, input, signature), true);
  assert.equal(signJws('EdDSA', null, privateKey, input), signature.toString('base64url'), 'Ed25519 is deterministic');
  assert.equal(verifyJws('EdDSA', null, publicKey, Buffer.from(`${input}x`), signature), false);
  assert.equal(verifyJws('EdDSA', null, publicKey, input, signature.subarray(1)), false);
});
