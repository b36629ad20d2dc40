import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPortcullis, PinMismatchError } from '../src/index.ts';
import { nodePlatform } from '../src/node.ts';
import { selfSignedCertificate } from './self-signed-certificate.ts';
import { adminOk, type Portcullis, startPortcullis } from './start-portcullis.ts';

// The Node platform against the real server over HTTPS: the key file and the encrypted records on
// disk, a session that survives a restart of the app, and the signed pin set enforced at the TLS
// handshake against an impostor whose certificate the app would otherwise trust.

const APP_ID = 'com.example.cli';
const RELEASE = `sha256:${'e1'.repeat(32)}`;
const PASSWORD = 'a long and secret passphrase';

/** A TLS server for `localhost` with its own self-signed certificate (a key nobody pinned). */
async function startImpostor(): Promise<{ server: Server; url: string; certPem: string; requests: number }> {
  const { keyPem, certPem } = await selfSignedCertificate('localhost', 'localhost');
  const impostor = { server: createServer({ key: keyPem, cert: certPem }), url: '', certPem, requests: 0 };
  impostor.server.on('request', (_req, res) => {
    impostor.requests++;
    res.end('{"stolen": true}');
  });
  await new Promise<void>((resolve) => impostor.server.listen(0, '127.0.0.1', resolve));
  impostor.url = `https://localhost:${(impostor.server.address() as AddressInfo).port}`;
  return impostor;
}

describe('Node platform: key file, encrypted records, pinned TLS', () => {
  let server: Portcullis;
  let dir: string;
  let config: string;
  let impostor: Awaited<ReturnType<typeof startImpostor>>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portcullis-sdk-node-'));
    [server, impostor] = await Promise.all([startPortcullis({ https: true }), startImpostor()]);
    assert.ok(server.caPem, 'the server generated its local CA');
    await adminOk(server, 'POST', '/users', { username: 'bob', password: PASSWORD });
    await adminOk(server, 'POST', '/apps', { app_id: APP_ID, digest: RELEASE });
    const client = await adminOk(server, 'POST', '/clients', {
      name: 'CLI',
      type: 'public',
      grant_types: ['password', 'refresh_token'],
      scopes: ['openid', 'notes'],
      first_party: true,
    });
    await adminOk(server, 'POST', '/apis', {
      match: '/notes',
      upstream: server.ready.http,
      auth: 'off',
      attestation: 'off',
      binding: 'none',
    });
    config = (await adminOk(server, 'GET', `/sdk-config?client_id=${client.client_id as string}`)).config as string;
  });

  after(async () => {
    await server?.stop();
    impostor?.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const app = { id: APP_ID, release: RELEASE };
  const ca = () => [server.caPem as string, impostor.certPem];

  it('keeps the instance key in a 0600 file and the session encrypted; a restarted app is still signed in', async () => {
    const appDir = join(dir, 'app');
    const first = createPortcullis(config, { app, scope: 'openid notes', platform: nodePlatform({ dir: appDir, ca: ca() }) });
    await first.signInWithPassword('bob', PASSWORD);
    const keyFile = await stat(join(appDir, 'instance-key.json'));
    assert.equal(keyFile.mode & 0o777, 0o600);
    for (const name of await readdir(join(appDir, 'records'))) {
      const record = await readFile(join(appDir, 'records', name), 'utf8');
      assert.equal((await stat(join(appDir, 'records', name))).mode & 0o777, 0o600);
      assert.ok(!record.includes('eyJ'), `record ${name} holds no token in clear`);
    }
    const restarted = createPortcullis(config, { app, platform: nodePlatform({ dir: appDir, ca: ca() }) });
    const session = await restarted.session();
    assert.ok(session, 'the session was read back with the same keys');
    assert.equal(session.tokenType, 'DPoP');
  });

  it('verifies the pin set with the config keys and pins the server key for its host', async () => {
    const portcullis = createPortcullis(config, { app, platform: nodePlatform({ dir: join(dir, 'pins'), ca: ca() }) });
    const set = await portcullis.pinSet();
    assert.deepEqual(Object.keys(set.pins), ['localhost']);
    assert.deepEqual(set.protected_domains, ['localhost']);
    assert.equal((await portcullis.fetch(`${server.issuer}/healthz`)).status, 200, 'the genuine server passes its pins');
  });

  it('refuses the TLS connection to a pinned host presenting another key, before sending anything', async () => {
    const portcullis = createPortcullis(config, { app, platform: nodePlatform({ dir: join(dir, 'mitm'), ca: ca() }) });
    await portcullis.pinSet();
    const error = await portcullis.fetch(`${impostor.url}/notes`).then(
      () => assert.fail('the impostor was trusted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof PinMismatchError, String(error));
    assert.equal(error.host, 'localhost');
    assert.match(error.message, /does not match the pinned keys/);
    assert.equal(impostor.requests, 0, 'no request (and no token) reached the impostor');
  });

  it('refuses a pin set older than one it has seen', async () => {
    const appDir = join(dir, 'rollback');
    const portcullis = createPortcullis(config, { app, platform: nodePlatform({ dir: appDir, ca: ca() }) });
    const { version } = await portcullis.pinSet();
    // Stand-in for a replayed old pin set: the app has already seen a much newer version.
    const platform = nodePlatform({ dir: appDir, ca: ca() });
    const { encryptedRecords } = await import('../src/index.ts');
    await encryptedRecords(platform.records, () => platform.keyStore.storageKey()).write('pins-version', version + 10);
    const again = createPortcullis(config, { app, platform });
    await assert.rejects(again.pinSet(), { code: 'pin_set_invalid', message: /older than version/ });
  });
});
