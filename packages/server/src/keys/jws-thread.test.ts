import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { compactVerify } from 'jose';
import { JwsThread } from './jws-thread.ts';

const es256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed25519 = generateKeyPairSync('ed25519');
const header = (alg: string) => Buffer.from(JSON.stringify({ alg })).toString('base64url');
const inputs = (alg: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${header(alg)}.${Buffer.from(`payload ${i}`).toString('base64url')}`);

async function assertVerify(inputs: string[], signatures: string[], key: (typeof es256)['publicKey']) {
  assert.equal(signatures.length, inputs.length);
  for (const [i, input] of inputs.entries()) await compactVerify(`${input}.${signatures[i]}`, key);
}

test('many signatures at once go to the signing thread, in one batch per turn, and all verify', async (t) => {
  const signer = new JwsThread();
  t.after(() => signer.close());
  const ecKey = signer.key('ES256', 'sha256', es256.privateKey);
  const edKey = signer.key('EdDSA', null, ed25519.privateKey);
  const ec = inputs('ES256', 400);
  const ed = inputs('EdDSA', 100);
  const [ecSignatures, edSignatures] = await Promise.all([
    Promise.all(ec.map((input) => signer.sign(ecKey, input))),
    Promise.all(ed.map((input) => signer.sign(edKey, input))),
  ]);
  assert.equal(signer.threaded, true);
  await assertVerify(ec, ecSignatures, es256.publicKey);
  await assertVerify(ed, edSignatures, ed25519.publicKey);
  // The keys went over once; a second round on the same thread still signs with them.
  const again = inputs('ES256', 10);
  await assertVerify(again, await Promise.all(again.map((input) => signer.sign(ecKey, input))), es256.publicKey);
});

test('a lone signature on a quiet signer is made in place, with no thread', async (t) => {
  const signer = new JwsThread();
  t.after(() => signer.close());
  const key = signer.key('ES256', 'sha256', es256.privateKey);
  const [input] = inputs('ES256', 1) as [string];
  await compactVerify(`${input}.${await signer.sign(key, input)}`, es256.publicKey);
  assert.equal(signer.threaded, false);
});

test('a thread that dies: what it held is signed in place; after three deaths no thread is started', async (t) => {
  const errors: unknown[] = [];
  const signer = new JwsThread({ threadUrl: new URL('data:text/javascript,setTimeout(() => process.exit(3), 20)') });
  signer.onError((err) => errors.push(err));
  t.after(() => signer.close());
  const key = signer.key('ES256', 'sha256', es256.privateKey);
  for (let round = 0; round < 4; round++) {
    const batch = inputs('ES256', 50);
    await assertVerify(batch, await Promise.all(batch.map((input) => signer.sign(key, input))), es256.publicKey);
  }
  assert.equal(errors.length, 3);
  assert.match(String(errors[0]), /exited with code 3/);
  assert.equal(signer.threaded, false);
});

test('a thread that cannot sign an input answers null for it, and the input is signed in place', async (t) => {
  const signer = new JwsThread({
    threadUrl: new URL(
      'data:text/javascript,import { parentPort } from "node:worker_threads"; parentPort.on("message", (b) => parentPort.postMessage(b.jobs.map(() => null)));',
    ),
  });
  t.after(() => signer.close());
  const key = signer.key('ES256', 'sha256', es256.privateKey);
  const batch = inputs('ES256', 20);
  await assertVerify(batch, await Promise.all(batch.map((input) => signer.sign(key, input))), es256.publicKey);
  assert.equal(signer.threaded, true);
});

test('closing with signatures in flight still answers every one of them', async () => {
  const signer = new JwsThread();
  const key = signer.key('ES256', 'sha256', es256.privateKey);
  const batch = inputs('ES256', 200);
  const pending = Promise.all(batch.map((input) => signer.sign(key, input)));
  setImmediate(() => signer.close());
  await assertVerify(batch, await pending, es256.publicKey);
});
