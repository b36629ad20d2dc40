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
  const thread = new JwsThread();
  t.after(() => thread.close());
  const ecKey = thread.key('ES256', 'sha256', es256.privateKey);
  const edKey = thread.key('EdDSA', null, ed25519.privateKey);
  const ec = inputs('ES256', 400);
  const ed = inputs('EdDSA', 100);
  const [ecSignatures, edSignatures] = await Promise.all([
    Promise.all(ec.map((input) => thread.sign(ecKey, input))),
    Promise.all(ed.map((input) => thread.sign(edKey, input))),
  ]);
  assert.equal(thread.threaded, true);
  await assertVerify(ec, ecSignatures, es256.publicKey);
  await assertVerify(ed, edSignatures, ed25519.publicKey);
  // The keys went over once; a second round on the same thread still signs with them.
  const again = inputs('ES256', 30);
  await assertVerify(again, await Promise.all(again.map((input) => thread.sign(ecKey, input))), es256.publicKey);
});

test('fewer signatures than a batch in one turn: up to three in place, four and more on the pool, no thread', async (t) => {
  const thread = new JwsThread();
  t.after(() => thread.close());
  const key = thread.key('ES256', 'sha256', es256.privateKey);
  const edKey = thread.key('EdDSA', null, ed25519.privateKey);
  const [input] = inputs('ES256', 1) as [string];
  await compactVerify(`${input}.${await thread.sign(key, input)}`, es256.publicKey);
  const three = inputs('ES256', 3);
  await assertVerify(three, await Promise.all(three.map((i) => thread.sign(key, i))), es256.publicKey);
  assert.equal(thread.pooled, 0);
  const few = inputs('ES256', 15);
  await assertVerify(few, await Promise.all(few.map((i) => thread.sign(key, i))), es256.publicKey);
  assert.equal(thread.pooled, 15);
  const ed = inputs('EdDSA', 4);
  await assertVerify(ed, await Promise.all(ed.map((i) => thread.sign(edKey, i))), ed25519.publicKey);
  assert.equal(thread.pooled, 19);
  assert.equal(thread.threaded, false);
});

test('once the thread runs, a small batch is still made in place', async (t) => {
  // A stand-in thread that answers its first batch (with nulls: signed in place) and dies on any other.
  const errors: unknown[] = [];
  const thread = new JwsThread({
    threadUrl: new URL(
      'data:text/javascript,import { parentPort } from "node:worker_threads"; let n = 0; parentPort.on("message", (b) => { if (n++ > 0) process.exit(5); parentPort.postMessage(b.jobs.map(() => null)); });',
    ),
  });
  thread.onError((err) => errors.push(err));
  t.after(() => thread.close());
  const key = thread.key('ES256', 'sha256', es256.privateKey);
  const big = inputs('ES256', 16);
  await assertVerify(big, await Promise.all(big.map((i) => thread.sign(key, i))), es256.publicKey);
  assert.equal(thread.threaded, true);
  for (let round = 0; round < 5; round++) {
    const small = inputs('ES256', 3);
    await assertVerify(small, await Promise.all(small.map((i) => thread.sign(key, i))), es256.publicKey);
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(errors, []);
  assert.equal(thread.threaded, true);
});

test('a thread that dies: what it held is signed in place; after three deaths no thread is started', async (t) => {
  const errors: unknown[] = [];
  const thread = new JwsThread({ threadUrl: new URL('data:text/javascript,setTimeout(() => process.exit(3), 20)') });
  thread.onError((err) => errors.push(err));
  t.after(() => thread.close());
  const key = thread.key('ES256', 'sha256', es256.privateKey);
  for (let round = 0; round < 4; round++) {
    const batch = inputs('ES256', 50);
    await assertVerify(batch, await Promise.all(batch.map((input) => thread.sign(key, input))), es256.publicKey);
  }
  assert.equal(errors.length, 3);
  assert.match(String(errors[0]), /exited with code 3/);
  assert.equal(thread.threaded, false);
});

test('a thread that cannot sign an input answers null for it, and the input is signed in place', async (t) => {
  const thread = new JwsThread({
    threadUrl: new URL(
      'data:text/javascript,import { parentPort } from "node:worker_threads"; parentPort.on("message", (b) => parentPort.postMessage(b.jobs.map(() => null)));',
    ),
  });
  t.after(() => thread.close());
  const key = thread.key('ES256', 'sha256', es256.privateKey);
  const batch = inputs('ES256', 20);
  await assertVerify(batch, await Promise.all(batch.map((input) => thread.sign(key, input))), es256.publicKey);
  assert.equal(thread.threaded, true);
});

test('closing with signatures in flight still answers every one of them', async () => {
  const thread = new JwsThread();
  const key = thread.key('ES256', 'sha256', es256.privateKey);
  const batch = inputs('ES256', 200);
  const pending = Promise.all(batch.map((input) => thread.sign(key, input)));
  setImmediate(() => thread.close());
  await assertVerify(batch, await pending, es256.publicKey);
});

test('a forgotten key leaves the thread, and is sent again should it sign once more', async (t) => {
  const thread = new JwsThread();
  t.after(() => thread.close());
  const key = thread.key('ES256', 'sha256', es256.privateKey);
  const first = inputs('ES256', 20);
  await assertVerify(first, await Promise.all(first.map((input) => thread.sign(key, input))), es256.publicKey);
  thread.forget(key);
  const second = inputs('ES256', 20);
  await assertVerify(second, await Promise.all(second.map((input) => thread.sign(key, input))), es256.publicKey);
  assert.equal(thread.threaded, true);
});

test('the thread drops a forgotten key at once', async (t) => {
  // A stand-in thread speaking the same protocol that answers each job with how many keys it holds.
  const counting = `import { parentPort } from "node:worker_threads";
    const keys = new Set();
    parentPort.on("message", (b) => {
      for (const ref of b.forget) keys.delete(ref);
      for (const [ref] of b.keys) keys.add(ref);
      parentPort.postMessage(b.jobs.map(() => String(keys.size)));
    });`;
  const thread = new JwsThread({ threadUrl: new URL(`data:text/javascript,${encodeURIComponent(counting)}`) });
  t.after(() => thread.close());
  const a = thread.key('ES256', 'sha256', es256.privateKey);
  const b = thread.key('ES256', 'sha256', es256.privateKey);
  // A batch big enough to go to the thread, its first half signed with `first`, the rest with `second`.
  const batch = (first: typeof a, second: typeof a) =>
    Promise.all(Array.from({ length: 16 }, (_, i) => thread.sign(i < 8 ? first : second, `input ${i}`)));
  assert.deepEqual(new Set(await batch(a, a)), new Set(['1']));
  thread.forget(a);
  assert.deepEqual(new Set(await batch(b, b)), new Set(['1']));
  assert.deepEqual(new Set(await batch(a, b)), new Set(['2']), 'a is sent again');
});
