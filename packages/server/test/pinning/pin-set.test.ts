import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, type JWK, jwtVerify } from 'jose';
import { type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';

const PIN_A = `sha256/${Buffer.alloc(32, 1).toString('base64')}`;
const PIN_B = `sha256/${Buffer.alloc(32, 2).toString('base64')}`;
const OWN = `sha256/${Buffer.alloc(32, 9).toString('base64')}`;

describe('signed pin set and SDK config', () => {
  let server: OAuthServer;
  let pinsKeys: JWK[];
  before(async () => {
    server = await startOAuthServer();
    await server.built.setServerPin(OWN);
    const res = await admin('GET', '/sdk-config');
    const { config } = (await res.json()) as { config: string };
    const decoded = JSON.parse(Buffer.from(config, 'base64url').toString()) as {
      v: number;
      server: string;
      pins_keys: JWK[];
      attestation_jwks_uri: string;
    };
    assert.equal(decoded.v, 1);
    assert.equal(decoded.server, server.issuer);
    assert.equal(decoded.attestation_jwks_uri, `${server.issuer}/.well-known/portcullis/attestation-jwks`);
    pinsKeys = decoded.pins_keys;
  });
  after(() => server.close());

  const admin = (method: string, path: string, body?: unknown) => server.adminRequest(method, path, body);
  async function pinSet(): Promise<Record<string, unknown>> {
    const res = await fetch(`${server.issuer}/.well-known/portcullis/pins`);
    assert.equal(res.headers.get('content-type'), 'application/jose');
    const { payload, protectedHeader } = await jwtVerify(await res.text(), createLocalJWKSet({ keys: pinsKeys }), {
      issuer: server.issuer,
      typ: 'portcullis-pins+jwt',
    });
    assert.ok(protectedHeader.kid);
    return payload as Record<string, unknown>;
  }

  it('is a JWS the SDK verifies with the pins key from its config; the server pins itself', async () => {
    const set = await pinSet();
    assert.deepEqual(set.pins, { '127.0.0.1': [OWN] });
    assert.ok((set.exp as number) > (set.iat as number));
    assert.equal(set.managed_trust_roots, undefined);
  });

  it('every change raises the version; pins for a host accumulate; bad input is refused', async () => {
    const v0 = (await pinSet()).version as number;
    assert.equal((await admin('POST', '/pins', { host: 'API.example.com', spki: [PIN_A] })).status, 200);
    assert.equal((await admin('POST', '/pins', { host: 'api.example.com', spki: [PIN_B] })).status, 200);
    let set = await pinSet();
    assert.deepEqual((set.pins as Record<string, string[]>)['api.example.com'], [PIN_A, PIN_B], 'primary then backup');
    assert.equal(set.version, v0 + 2);
    assert.equal((await admin('PUT', '/pins/managed-trust-roots', { value: 'on' })).status, 200);
    set = await pinSet();
    const roots = set.managed_trust_roots as string[];
    assert.ok(
      roots.length > 50 && roots.every((p) => /^sha256\/[A-Za-z0-9+/]{43}=$/.test(p)),
      'the public CA roots as SPKI pins',
    );
    assert.equal((await admin('DELETE', '/pins/api.example.com')).status, 200);
    set = await pinSet();
    assert.equal((set.pins as Record<string, string[]>)['api.example.com'], undefined);
    assert.equal(set.version, v0 + 4, 'a client refuses any set older than one it has seen');
    for (const bad of [
      { host: 'exa mple.com', spki: [PIN_A] },
      { host: 'a.example.com', spki: ['md5/abc'] },
      { host: 'a.example.com', spki: [] },
    ]) {
      assert.equal((await admin('POST', '/pins', bad)).status, 400, JSON.stringify(bad));
    }
    assert.equal((await admin('DELETE', '/pins/unknown.example.com')).status, 404);
  });

  it('a tampered pin set fails verification', async () => {
    const jws = await (await fetch(`${server.issuer}/.well-known/portcullis/pins`)).text();
    const [h, p, s] = jws.split('.');
    const forged = { ...JSON.parse(Buffer.from(p!, 'base64url').toString()), pins: { 'evil.example.com': [PIN_A] } };
    await assert.rejects(
      jwtVerify(`${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`, createLocalJWKSet({ keys: pinsKeys })),
    );
  });

  it('the SDK config names a client when asked, and refuses an unknown one', async () => {
    const app = await server.createClient({ name: 'Catalog', type: 'public', first_party: true, grant_types: ['password'] });
    const { config } = (await (await admin('GET', `/sdk-config?client_id=${app.client_id}`)).json()) as { config: string };
    assert.equal((JSON.parse(Buffer.from(config, 'base64url').toString()) as { client_id: string }).client_id, app.client_id);
    assert.equal((await admin('GET', '/sdk-config?client_id=pc_nope')).status, 404);
  });

  it('pin sets served are counted', async () => {
    assert.match(await (await fetch(`${server.issuer}/metrics`)).text(), /portcullis_pin_sets_served_total [1-9]/);
  });

  it('lists the protected API domains, and a route change gives the set a new version', async () => {
    assert.deepEqual((await pinSet()).protected_domains, []);
    const before = (await pinSet()).version as number;
    const add = async (match: string) => {
      const res = await admin('POST', '/apis', { match, upstream: 'http://127.0.0.1:9' });
      assert.equal(res.status, 201);
      return ((await res.json()) as { id: string }).id;
    };
    const hostRoute = await add('api.example.com/books');
    await add('/orders');
    const set = await pinSet();
    assert.deepEqual(set.protected_domains, ['127.0.0.1', 'api.example.com']);
    assert.equal(set.version, before + 2);
    assert.equal((await admin('DELETE', `/apis/${hostRoute}`)).status, 204);
    const after = await pinSet();
    assert.deepEqual(after.protected_domains, ['127.0.0.1']);
    assert.equal(after.version, before + 3);
  });

  it("a new TLS key of the server's own gives the set a new version; the same key on a restart does not", async () => {
    const before = (await pinSet()).version as number;
    await server.built.setServerPin(OWN);
    assert.equal((await pinSet()).version, before, 'the same key: same version');
    const NEW_OWN = `sha256/${Buffer.alloc(32, 8).toString('base64')}`;
    await server.built.setServerPin(NEW_OWN);
    const after = await pinSet();
    assert.equal(after.version, before + 1);
    assert.deepEqual((after.pins as Record<string, string[]>)['127.0.0.1'], [NEW_OWN]);
  });
});
