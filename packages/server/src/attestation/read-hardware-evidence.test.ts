import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { readAndroidEvidence, readAppleAssertionEvidence, readAppleEvidence } from './read-hardware-evidence.ts';

const JKT = 'A'.repeat(43);
const encode = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const clientData = (claims: Record<string, unknown> = {}) =>
  encode({ nonce: 'n-1', jkt: JKT, app_id: 'ABCDE12345.com.example.app', ...claims });
const apple = (doc: Record<string, unknown> = {}) =>
  JSON.stringify({
    key_id: Buffer.alloc(32, 1).toString('base64'),
    attestation: Buffer.from('cbor').toString('base64'),
    client_data: clientData(),
    ...doc,
  });

describe('readAppleEvidence / readAppleAssertionEvidence / readAndroidEvidence', () => {
  it('reads the client data and hashes its bytes exactly as sent', () => {
    const sent = ` {"app_id":"ABCDE12345.com.example.app","nonce":"n-1","jkt":"${JKT}","extra":true}`;
    const read = readAppleEvidence(apple({ client_data: encode(sent) }));
    assert.ok(read);
    assert.deepEqual(read.clientData.claims, { nonce: 'n-1', jkt: JKT, app_id: 'ABCDE12345.com.example.app' });
    assert.deepEqual(read.clientData.hash, createHash('sha256').update(sent).digest());
    assert.equal(read.keyId.byteLength, 32);
    const android = readAndroidEvidence(JSON.stringify({ chain: ['a', 'b'], client_data: clientData({ device_id: 'd-1' }) }));
    assert.equal(android?.clientData.claims.device_id, 'd-1');
  });

  it('anything off the contract is undefined (malformed)', () => {
    for (const bad of [
      'not json',
      '[]',
      apple({ key_id: Buffer.alloc(31).toString('base64') }),
      apple({ key_id: 'not base64!' }),
      apple({ attestation: '' }),
      apple({ client_data: `${clientData()}=` }),
      apple({ client_data: clientData().replace(/.$/, '+') }),
      apple({ client_data: encode('{"nonce":') }),
      apple({ client_data: Buffer.from([0xff, 0xfe]).toString('base64url') }),
      apple({ client_data: clientData({ jkt: 'short' }) }),
      apple({ client_data: clientData({ nonce: 7 }) }),
      apple({ client_data: clientData({ device_id: 'x'.repeat(129) }) }),
      apple({ client_data: clientData({ app_id: 'com.example.app' }) }),
      apple({ client_data: encode('x'.repeat(5000)) }),
    ]) {
      assert.equal(readAppleEvidence(bad), undefined, bad.slice(0, 120));
    }
    for (const chain of ['pem', [1, 2], undefined]) {
      assert.equal(readAndroidEvidence(JSON.stringify({ chain, client_data: clientData() })), undefined);
    }
  });

  it('apple-app-assert: the same key id and client data, with an assertion instead of an attestation', () => {
    const assertion = (doc: Record<string, unknown> = {}) =>
      JSON.stringify({
        key_id: Buffer.alloc(32, 1).toString('base64'),
        assertion: Buffer.from('cbor').toString('base64'),
        client_data: clientData(),
        ...doc,
      });
    const read = readAppleAssertionEvidence(assertion());
    assert.ok(read);
    assert.deepEqual(read.assertion, Buffer.from('cbor'));
    assert.equal(read.keyId.byteLength, 32);
    assert.equal(read.clientData.claims.app_id, 'ABCDE12345.com.example.app');
    for (const bad of [
      apple(),
      assertion({ assertion: undefined }),
      assertion({ assertion: '' }),
      assertion({ key_id: Buffer.alloc(33).toString('base64') }),
      assertion({ client_data: clientData({ app_id: 'com.example.app' }) }),
    ]) {
      assert.equal(readAppleAssertionEvidence(bad), undefined, bad.slice(0, 120));
    }
    assert.equal(readAppleEvidence(assertion()), undefined, 'an assertion is not an attestation');
  });
});
