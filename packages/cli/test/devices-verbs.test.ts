// The `devices` verbs against a real `portcullis serve`, after a device attested over HTTP.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { useServer } from './cli-process.ts';

describe('portcullis devices', () => {
  const suite = useServer();
  const { cli } = suite;
  before(async () => {
    const server = suite.server;
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const { challenge } = (await (await fetch(`${server.ready.http}/attest/challenge`, { method: 'POST' })).json()) as {
      challenge: string;
    };
    const claims = {
      nonce: challenge,
      app_id: 'com.example.dev',
      release: `sha256:${'ab'.repeat(32)}`,
      device_id: 'pixel-ci',
      platform: 'android',
      iat: Math.floor(Date.now() / 1000),
      signals: { emulator: true },
    };
    const evidence = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'ES256', typ: 'portcullis-evidence+jwt', jwk: await exportJWK(publicKey) })
      .sign(privateKey);
    const res = await fetch(`${server.ready.http}/attest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'software', evidence }),
    });
    assert.equal(res.status, 403, 'an unregistered emulator fails');
  });

  it('lists the device with its last verdict, allows it for a while, denies and removes it', async () => {
    const listed = await cli(['devices', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /pixel-ci\s+com\.example\.dev\s+android\s+active\s+default\s+[\w-]{43}/);
    assert.match(listed.stdout, /fail: app_unregistered emulator/);
    const allowed = await cli(['devices', 'allow', 'pixel-ci', '--policy', 'always-pass', '--expires', '2h', '--json']);
    assert.equal(allowed.code, 0, allowed.stderr);
    const until = Date.parse((JSON.parse(allowed.stdout) as { policy_expires_at: string }).policy_expires_at) - Date.now();
    assert.ok(until > 7000_000 && until <= 7200_000, 'two hours');
    assert.equal((await cli(['devices', 'deny', 'pixel-ci'])).code, 0);
    assert.match((await cli(['devices', 'list'])).stdout, /pixel-ci.*denied/);
    assert.equal((await cli(['devices', 'remove', 'pixel-ci'])).code, 0);
    assert.match((await cli(['devices', 'list'])).stdout, /no devices/);
  });

  it('bad usage is exit 2; an unknown device exit 1', async () => {
    assert.equal((await cli(['devices', 'allow', 'x', '--expires', 'soon'])).code, 2);
    assert.equal((await cli(['devices', 'allow', 'x', '--policy', 'sometimes'])).code, 2);
    const unknown = await cli(['devices', 'deny', 'never-seen']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /not_found/);
  });
});

describe('portcullis secrets', () => {
  const suite = useServer();
  const cli = (args: readonly string[], stdin?: string) => suite.cli(args, { stdin });

  it('adds versions from stdin or the command line, lists without values, removes', async () => {
    const first = await cli(
      ['secrets', 'add', 'stripe-key', '--value-stdin', '--app', 'com.example.catalog'],
      'sk_live_secret_1\n',
    );
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /stored stripe-key version 1 for com\.example\.catalog/);
    assert.equal(
      (await cli(['secrets', 'add', 'stripe-key', '--value', 'sk_live_secret_2', '--app', 'com.example.catalog'])).code,
      0,
    );
    assert.equal(
      (await cli(['secrets', 'add', 'stripe-key', '--value', 'sk_live_secret_3'])).code,
      1,
      'a new version keeps the scope',
    );
    const listed = await cli(['secrets', 'list']);
    assert.match(listed.stdout, /stripe-key\s+2/);
    assert.doesNotMatch(listed.stdout + (await cli(['secrets', 'list', '--json'])).stdout, /sk_live/);
    assert.equal((await cli(['secrets', 'remove', 'stripe-key'])).code, 0);
    assert.match((await cli(['secrets', 'list'])).stdout, /no secrets/);
    assert.equal((await cli(['secrets', 'add', 'x'])).code, 2, 'no value');
    assert.equal((await cli(['secrets', 'remove', 'x'])).code, 1);
  });
});

describe('portcullis pins and sdk config', () => {
  const { cli } = useServer();
  const pin = (byte: number) => `sha256/${Buffer.alloc(32, byte).toString('base64')}`;

  it('adds primary and backup pins, toggles managed trust roots, removes; the version grows', async () => {
    const added = await cli(['pins', 'add', 'api.example.com', '--spki', pin(1), pin(2)]);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /api\.example\.com\s+primary/);
    assert.match(added.stdout, /api\.example\.com\s+backup/);
    assert.match((await cli(['pins', 'managed-trust-roots', 'on'])).stdout, /managed trust roots on/);
    const removed = await cli(['pins', 'remove', 'api.example.com', '--json']);
    assert.equal((JSON.parse(removed.stdout) as { version: number }).version, 3);
    assert.equal((await cli(['pins', 'managed-trust-roots', 'maybe'])).code, 2);
    assert.equal((await cli(['pins', 'add', 'api.example.com', '--spki', 'md5/x'])).code, 1);
  });

  it('prints the SDK config string', async () => {
    const printed = await cli(['sdk', 'config']);
    assert.equal(printed.code, 0, printed.stderr);
    const config = JSON.parse(Buffer.from(printed.stdout.trim(), 'base64url').toString()) as {
      v: number;
      server: string;
      pins_keys: unknown[];
    };
    assert.equal(config.v, 1);
    assert.equal(config.pins_keys.length, 2, 'current and next pins keys');
  });
});
