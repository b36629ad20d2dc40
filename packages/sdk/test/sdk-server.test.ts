import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  AttestationError,
  createPortcullis,
  memoryPlatform,
  type Platform,
  PortcullisError,
  type StoredSession,
  type TokenStore,
} from '../src/index.ts';
import { selfSignedCertificate } from './self-signed-certificate.ts';
import { adminOk, type Portcullis, startPortcullis } from './start-portcullis.ts';

// The SDK against the real server: journey J1 (attest, password grant, a protected API through
// the gateway, refresh, sign-out) and J3, with nothing of the server mocked.

const APP_ID = 'com.example.catalog';
const RELEASE = `sha256:${'c4'.repeat(32)}`;
const PASSWORD = 'correct horse battery staple';
/** Well-formed, and signed by nobody the server trusts. */
const { certPem: UNTRUSTED_PEM } = await selfSignedCertificate('untrusted');

interface Upstream {
  url: string;
  seen: IncomingHttpHeaders[];
  server: Server;
}

async function startUpstream(): Promise<Upstream> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ user: req.headers['x-portcullis-user'] ?? null, path: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

/** A token store whose contents a test can read and spoil. */
function visibleTokenStore(): TokenStore & { session: StoredSession | null } {
  const store = {
    session: null as StoredSession | null,
    load: async () => store.session,
    save: async (session: StoredSession) => {
      store.session = session;
    },
    clear: async () => {
      store.session = null;
    },
  };
  return store;
}

describe('SDK against a running Portcullis', () => {
  let server: Portcullis;
  let upstream: Upstream;
  let config: string;
  let serviceSecret: string;
  let serviceClientId: string;

  before(async () => {
    [server, upstream] = await Promise.all([startPortcullis(), startUpstream()]);
    await adminOk(server, 'POST', '/users', { username: 'alice', password: PASSWORD, email: 'alice@example.com' });
    await adminOk(server, 'POST', '/apps', { app_id: APP_ID, digest: RELEASE });
    const client = await adminOk(server, 'POST', '/clients', {
      name: 'Catalog',
      type: 'public',
      grant_types: ['password', 'refresh_token'],
      scopes: ['openid', 'profile', 'catalog'],
      first_party: true,
      require_attestation: true,
      attestation_app_ids: [APP_ID],
    });
    const service = await adminOk(server, 'POST', '/clients', {
      name: 'Reports',
      type: 'confidential',
      grant_types: ['client_credentials'],
      scopes: ['catalog'],
    });
    serviceClientId = service.client_id as string;
    serviceSecret = service.client_secret as string;
    await adminOk(server, 'POST', '/apis', {
      match: '/catalog',
      upstream: upstream.url,
      scopes: ['catalog'],
      strip_prefix: true,
    });
    await adminOk(server, 'POST', '/secrets', { name: 'maps-key', value: 'maps-0123456789', app_id: APP_ID });
    config = (await adminOk(server, 'GET', `/sdk-config?client_id=${client.client_id as string}`)).config as string;
  });

  after(async () => {
    await server?.stop();
    upstream?.server.close();
  });

  function sdk(options: { release?: string; platform?: Platform; tokenStore?: TokenStore } = {}) {
    return createPortcullis(config, {
      app: { id: APP_ID, release: options.release ?? RELEASE },
      scope: 'openid catalog',
      platform: options.platform ?? memoryPlatform(),
      ...(options.tokenStore ? { tokenStore: options.tokenStore } : {}),
    });
  }

  it('signs in with a password and calls the protected API through the gateway with DPoP and attestation', async () => {
    const portcullis = sdk();
    const session = await portcullis.signInWithPassword('alice', PASSWORD);
    assert.equal(session.tokenType, 'DPoP');
    assert.match(session.user?.sub ?? '', /^.+$/, 'UserInfo named the person');
    assert.ok(session.expiresAt > Date.now());
    const response = await portcullis.fetch('/catalog/products');
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { user: session.user?.sub, path: '/products' });
    const headers = upstream.seen.at(-1) ?? {};
    assert.equal(headers.authorization, undefined, 'the gateway keeps the access token from the upstream');
    assert.equal(headers['x-portcullis-app'], APP_ID);
  });

  it('surfaces a wrong password as invalid_grant with the server sentence', async () => {
    const error = await sdk()
      .signInWithPassword('alice', 'not the password')
      .then(
        () => assert.fail('signed in with a wrong password'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof PortcullisError);
    assert.equal(error.code, 'invalid_grant');
    assert.equal(error.status, 400);
    assert.ok(!error.message.includes('not the password'), 'the password never appears in a message');
  });

  it('refuses an unregistered release with the reasons the server shares, before any password is sent', async () => {
    const portcullis = sdk({ release: `sha256:${'0d'.repeat(32)}` });
    const error = await portcullis.attest().then(
      () => assert.fail('an unregistered release attested'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof AttestationError);
    assert.deepEqual(error.reasons, ['app_unregistered']);
    await assert.rejects(portcullis.signInWithPassword('alice', PASSWORD), AttestationError);
  });

  it('sends platform evidence with a DPoP proof by the instance key the client data names', async () => {
    let seen: { clientData: string; jkt: string; hash: Uint8Array } | undefined;
    const portcullis = createPortcullis(config, {
      app: { id: APP_ID, release: RELEASE, deviceId: 'pixel-8-0042' },
      platform: memoryPlatform('android'),
      attester: {
        async attest(input) {
          seen = { clientData: input.clientData, jkt: input.instanceKey.jkt, hash: input.clientDataHash };
          // A certificate without Google's key attestation: the server reads it only after the proof checks out.
          return { format: 'android-key', evidence: JSON.stringify({ chain: [UNTRUSTED_PEM], client_data: input.clientData }) };
        },
      },
    });
    const error = await portcullis.attest().then(
      () => assert.fail('an untrusted chain attested'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof AttestationError, String(error));
    // A missing or invalid proof is a 400 before any evidence is read; a proof by another key than
    // client_data.jkt is key_binding_mismatch. This verdict comes from reading the certificate.
    assert.equal(error.status, 403);
    assert.ok(error.reasons.length > 0);
    assert.ok(
      !error.reasons.includes('key_binding_mismatch') && !error.reasons.includes('nonce_unknown'),
      error.reasons.join(', '),
    );
    assert.ok(seen);
    const clientData = JSON.parse(Buffer.from(seen.clientData, 'base64url').toString('utf8')) as Record<string, string>;
    assert.equal(clientData.jkt, seen.jkt);
    assert.equal(clientData.app_id, APP_ID);
    assert.equal(clientData.device_id, 'pixel-8-0042');
    assert.deepEqual(
      Buffer.from(seen.hash),
      createHash('sha256').update(Buffer.from(seen.clientData, 'base64url')).digest(),
      'the hash the device attests is over the client data bytes as sent',
    );
  });

  it('refreshes with a rotated refresh token, keeping who signed in', async () => {
    const store = visibleTokenStore();
    const portcullis = sdk({ tokenStore: store });
    await portcullis.signInWithPassword('alice', PASSWORD);
    const first = store.session;
    assert.ok(first?.refreshToken);
    await portcullis.refresh();
    const second = store.session;
    assert.ok(second?.refreshToken);
    assert.notEqual(second.refreshToken, first.refreshToken, 'the refresh token rotated');
    assert.notEqual(second.accessToken, first.accessToken);
    assert.deepEqual(second.user, first.user, 'the person survives a refresh');
    assert.equal((await portcullis.fetch('/catalog/x')).status, 200);
  });

  it('refreshes and retries once when the gateway refuses the access token', async () => {
    const store = visibleTokenStore();
    const portcullis = sdk({ tokenStore: store });
    await portcullis.signInWithPassword('alice', PASSWORD);
    const session = store.session as StoredSession;
    // An access token the gateway cannot accept (as after expiry), while the SDK still thinks it is fresh.
    store.session = { ...session, accessToken: `${session.accessToken.slice(0, -4)}AAAA` };
    const response = await portcullis.fetch('/catalog/books', { method: 'POST', body: 'hello' });
    assert.equal(response.status, 200);
    assert.notEqual(store.session?.accessToken, session.accessToken, 'a new access token was obtained');
  });

  it('delivers a runtime secret to the attested instance only, decrypted with its key', async () => {
    const portcullis = sdk();
    assert.equal(await portcullis.getSecret('maps-key'), 'maps-0123456789');
    const missing = await portcullis.getSecret('no-such-secret').then(
      () => assert.fail('a missing secret was delivered'),
      (e: unknown) => e,
    );
    assert.ok(missing instanceof PortcullisError);
    assert.equal(missing.code, 'not_found');
    await assert.rejects(sdk({ release: `sha256:${'0d'.repeat(32)}` }).getSecret('maps-key'), AttestationError);
  });

  it('signs out: the tokens are revoked at the server and forgotten, and the API refuses the old token', async () => {
    const store = visibleTokenStore();
    const portcullis = sdk({ tokenStore: store });
    await portcullis.signInWithPassword('alice', PASSWORD);
    const old = store.session as StoredSession;
    const { endSessionUrl } = await portcullis.logout();
    assert.equal(endSessionUrl, null, 'a password sign-in leaves no browser session at the server to end');
    assert.equal(store.session, null);
    assert.equal(await portcullis.session(), null);
    assert.equal((await portcullis.fetch('/catalog/x')).status, 401, 'signed out, the gateway wants a token');
    const introspect = await fetch(`${server.issuer}/oauth/introspect`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${serviceClientId}:${serviceSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: old.refreshToken as string }),
    });
    assert.deepEqual(await introspect.json(), { active: false });
  });

  it('keeps the sessions of two clients on one platform apart', async () => {
    const platform = memoryPlatform();
    const catalog = sdk({ platform });
    await catalog.signInWithPassword('alice', PASSWORD);
    const service = createPortcullis(config, { app: { id: APP_ID, release: RELEASE }, clientId: serviceClientId, platform });
    assert.equal(await service.session(), null, 'the other client sees no session');
    assert.ok(await sdk({ platform }).session(), 'the same client on the same platform does');
  });

  it('gets service tokens with client credentials, without attesting', async () => {
    const service = createPortcullis(config, {
      app: { id: 'reports', release: RELEASE },
      clientId: serviceClientId,
      clientSecret: serviceSecret,
      attestation: false,
      platform: memoryPlatform(),
    });
    const session = await service.signInAsService({ scope: 'catalog' });
    assert.equal(session.scope, 'catalog');
    // The route needs attestation by default: a service without one is refused, with the reason.
    const response = await service.fetch('/catalog/x');
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error: string }).error, 'attestation_required');
  });
});
