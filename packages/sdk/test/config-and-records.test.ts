import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint, jwtVerify } from 'jose';
import { makeDpopProof, tokenHash } from '../src/dpop-proof.ts';
import { encryptedRecords, memoryKeyStore, memoryRecordStore, PortcullisError, parseConfigString } from '../src/index.ts';

const KEY = {
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
};

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

const GOOD = {
  v: 1,
  server: 'https://auth.example.com',
  client_id: 'catalog',
  pins_keys: [KEY],
  attestation_jwks_uri: 'https://auth.example.com/.well-known/portcullis/attestation-jwks',
};

describe('parseConfigString', () => {
  it('reads what `portcullis sdk config` prints', () => {
    assert.deepEqual(parseConfigString(encode(GOOD)), GOOD);
  });

  for (const [why, value, message] of [
    ['not base64url JSON', 'not a config!', /not base64url-encoded JSON/],
    ['another version', encode({ ...GOOD, v: 2 }), /version 2 is not supported/],
    ['http on a public host', encode({ ...GOOD, server: 'http://auth.example.com' }), /must be an https: URL/],
    ['a private key among the pins keys', encode({ ...GOOD, pins_keys: [{ ...KEY, d: 'secret' }] }), /public keys only/],
    ['no pins keys', encode({ ...GOOD, pins_keys: [] }), /at least one key/],
    ['an empty string', '', /it is empty/],
  ] as const) {
    it(`refuses ${why} with invalid_config`, () => {
      assert.throws(
        () => parseConfigString(value),
        (error: unknown) => error instanceof PortcullisError && error.code === 'invalid_config' && message.test(error.message),
      );
    });
  }

  it('accepts http: on a loopback host, for local development', () => {
    assert.equal(parseConfigString(encode({ ...GOOD, server: 'http://localhost:8080' })).server, 'http://localhost:8080');
  });
});

describe('encryptedRecords', () => {
  it('stores only AES-GCM ciphertext, bound to the record name; tampering and another key read as absent', async () => {
    const store = memoryRecordStore();
    const keys = memoryKeyStore();
    const records = encryptedRecords(store, () => keys.storageKey());
    await records.write('session', { accessToken: 'eyJ.secret.token' });
    const raw = (await store.get('session')) as string;
    assert.ok(!Buffer.from(raw, 'base64url').toString('latin1').includes('secret'), 'no clear text at rest');
    assert.deepEqual(await records.read('session'), { accessToken: 'eyJ.secret.token' });

    await store.set('other', raw);
    assert.equal(await records.read('other'), null, 'a record moved under another name does not decrypt');

    const flipped = Buffer.from(raw, 'base64url');
    flipped[flipped.length - 1] = (flipped.at(-1) ?? 0) ^ 1;
    await store.set('session', flipped.toString('base64url'));
    assert.equal(await records.read('session'), null, 'a tampered record reads as absent');
    assert.equal(await store.get('session'), null, 'and is removed');

    await records.write('session', { a: 1 });
    const otherKeys = memoryKeyStore();
    assert.equal(await encryptedRecords(store, () => otherKeys.storageKey()).read('session'), null);
  });
});

describe('makeDpopProof', () => {
  it('names the target without query or fragment (RFC 9449 §4.2), binds the token by ath, and shows only the public key', async () => {
    const key = await memoryKeyStore().instanceKey();
    const token = 'eyJ.access.token';
    const proof = await makeDpopProof(key, 'GET', new URL('https://api.example.com/books/7?page=2#top'), {
      ath: await tokenHash(token),
    });
    const { payload, protectedHeader } = await jwtVerify(proof, key.signing.publicKey, { typ: 'dpop+jwt' });
    assert.equal(payload.htu, 'https://api.example.com/books/7');
    assert.equal(payload.htm, 'GET');
    assert.equal(payload.ath, createHash('sha256').update(token).digest('base64url'));
    assert.deepEqual(Object.keys(protectedHeader.jwk ?? {}).sort(), ['crv', 'kty', 'x', 'y']);
    assert.equal(await calculateJwkThumbprint(protectedHeader.jwk ?? {}), key.jkt);
  });
});
