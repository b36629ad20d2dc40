import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { test } from 'node:test';
import { encode } from 'cborg';
import { type AppleAssertionInput, verifyAppleAssertion } from './index.ts';

const APP_ID = 'ABCDE12345.com.example.portcullis';
const sha256 = (...parts: Uint8Array[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicKeyJwk = publicKey.export({ format: 'jwk' });
const clientDataHash = sha256(Buffer.from('{"challenge":"c-1","path":"/secrets/api-key"}'));

interface Options {
  counter: number;
  appId?: string;
  key?: KeyObject;
  signedClientDataHash?: Uint8Array;
}

// authenticatorData of an assertion: rpIdHash (32) | flags (1) | counter (4, big-endian).
function makeAssertion(options: Options): Uint8Array {
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(options.counter);
  const authenticatorData = Buffer.concat([sha256(Buffer.from(options.appId ?? APP_ID)), Buffer.of(0), counter]);
  const nonce = sha256(authenticatorData, options.signedClientDataHash ?? clientDataHash);
  return encode({ signature: sign('sha256', nonce, options.key ?? privateKey), authenticatorData });
}

function input(assertion: Uint8Array, previousSignCount: number): AppleAssertionInput {
  return { assertion, clientDataHash, publicKeyJwk, appId: APP_ID, previousSignCount };
}

test('signature over SHA-256(authenticatorData ‖ clientDataHash) with a higher counter: accepted', async () => {
  assert.deepEqual(await verifyAppleAssertion(input(makeAssertion({ counter: 5 }), 4)), { ok: true, signCount: 5 });
  assert.deepEqual(await verifyAppleAssertion(input(makeAssertion({ counter: 0xffffffff }), 0)), {
    ok: true,
    signCount: 0xffffffff,
  });
});

test('counter equal to or below the stored one: counter_not_increasing', async () => {
  for (const counter of [4, 3, 0]) {
    const result = await verifyAppleAssertion(input(makeAssertion({ counter }), 4));
    assert.deepEqual(result, { ok: false, reasons: ['counter_not_increasing'] }, `counter ${counter}`);
  }
});

test('signed by another key, or over other client data: bad_signature', async () => {
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  for (const options of [
    { counter: 5, key: other },
    { counter: 5, signedClientDataHash: sha256(Buffer.from('other')) },
  ]) {
    assert.deepEqual(await verifyAppleAssertion(input(makeAssertion(options), 4)), { ok: false, reasons: ['bad_signature'] });
  }
  const garbled = encode({ signature: Buffer.from('not a DER signature'), authenticatorData: Buffer.alloc(37) });
  const result = await verifyAppleAssertion({ ...input(garbled, 0), appId: '' });
  assert.deepEqual(result, { ok: false, reasons: ['bad_signature', 'app_id_mismatch', 'counter_not_increasing'] });
});

test('rpIdHash of another app: app_id_mismatch', async () => {
  const result = await verifyAppleAssertion(input(makeAssertion({ counter: 5, appId: 'ABCDE12345.com.example.other' }), 4));
  assert.deepEqual(result, { ok: false, reasons: ['app_id_mismatch'] });
});

test('broken assertion objects or keys: malformed', async () => {
  const valid = makeAssertion({ counter: 5 });
  const cases: Record<string, AppleAssertionInput> = {
    'truncated CBOR': input(valid.subarray(0, valid.byteLength - 3), 4),
    'not a map': input(encode([1, 2]), 4),
    'signature missing': input(encode({ authenticatorData: Buffer.alloc(37) }), 4),
    'authenticatorData as text': input(encode({ signature: Buffer.alloc(70), authenticatorData: 'x' }), 4),
    'authenticatorData too short': input(encode({ signature: Buffer.alloc(70), authenticatorData: Buffer.alloc(36) }), 4),
    'over 64 KiB': input(encode({ signature: Buffer.alloc(70), authenticatorData: Buffer.alloc(70_000) }), 4),
    'an RSA key': { ...input(valid, 4), publicKeyJwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } },
    'a P-256 key off the curve': { ...input(valid, 4), publicKeyJwk: { ...publicKeyJwk, y: publicKeyJwk.x } },
    'a negative stored counter': input(valid, -1),
  };
  for (const [label, value] of Object.entries(cases)) {
    assert.deepEqual(await verifyAppleAssertion(value), { ok: false, reasons: ['malformed'] }, label);
  }
});
