import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { verifyJwsInTurn } from './jws-signature.ts';
import { pooledVerifications, verifyInTurn } from './verify-tier.ts';

const es256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed25519 = generateKeyPairSync('ed25519');

/** `n` checks of DER signatures, every third one over other bytes than signed. */
function checks(n: number) {
  return Array.from({ length: n }, (_, i) => {
    const input = Buffer.from(`input ${i}`);
    const signature = sign('sha256', input, es256.privateKey);
    return { input: i % 3 === 2 ? Buffer.from(`forged ${i}`) : input, signature, valid: i % 3 !== 2 };
  });
}

test('up to three checks in a turn are made in place, four and more on the pool; every verdict is right', async () => {
  for (const [n, onPool] of [
    [1, false],
    [3, false],
    [4, true],
    [30, true],
  ] as const) {
    const before = pooledVerifications();
    const batch = checks(n);
    const verdicts = await Promise.all(batch.map((c) => verifyInTurn('sha256', es256.publicKey, c.input, c.signature)));
    assert.deepEqual(
      verdicts,
      batch.map((c) => c.valid),
      `${n} in a turn`,
    );
    assert.equal(pooledVerifications() - before, onPool ? n : 0, `${n} in a turn`);
  }
});

test('another key, a garbled signature or a key of the wrong kind is false, in place and on the pool', async () => {
  for (const n of [1, 6]) {
    const input = Buffer.from('input');
    const good = sign('sha256', input, es256.privateKey);
    const verdicts = await Promise.all(
      Array.from({ length: n }, () => [
        verifyInTurn('sha256', other.publicKey, input, good),
        verifyInTurn('sha256', es256.publicKey, input, Buffer.from('not DER at all')),
        verifyInTurn('sha256', ed25519.publicKey, input, good),
        verifyInTurn('sha256', es256.publicKey, input, good),
      ]).flat(),
    );
    assert.deepEqual(verdicts, Array.from({ length: n }, () => [false, false, false, true]).flat(), `${n} of each`);
  }
});

test('JWS signatures checked in a turn: ES256 (r‖s of exactly 64 bytes) and EdDSA, against jose-made tokens', async () => {
  const tokens = await Promise.all([
    ...Array.from({ length: 5 }, (_, i) => new SignJWT({ i }).setProtectedHeader({ alg: 'ES256' }).sign(es256.privateKey)),
    ...Array.from({ length: 5 }, (_, i) => new SignJWT({ i }).setProtectedHeader({ alg: 'EdDSA' }).sign(ed25519.privateKey)),
  ]);
  const check = (token: string, signature = Buffer.from(token.split('.')[2] as string, 'base64url')) => {
    const [h, p] = token.split('.');
    const alg = JSON.parse(Buffer.from(h as string, 'base64url').toString()).alg as string;
    const key = alg === 'ES256' ? es256.publicKey : ed25519.publicKey;
    return verifyJwsInTurn(alg, alg === 'ES256' ? 'sha256' : null, key, Buffer.from(`${h}.${p}`), signature);
  };
  assert.deepEqual(await Promise.all(tokens.map((t) => check(t))), Array(10).fill(true));
  const es = tokens[0] as string;
  const sig = Buffer.from(es.split('.')[2] as string, 'base64url');
  assert.equal(await check(es, sig.subarray(0, 63)), false, 'one byte short');
  assert.equal(await check(es, Buffer.concat([sig, Buffer.alloc(1)])), false, 'one byte long');
  assert.equal(await check(es, Buffer.from(sig).fill(0, 0, 32)), false, 'r zeroed');
});
