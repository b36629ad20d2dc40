// The Android revocation status list (PORTCULLIS_ANDROID_REVOCATION_LIST) as /attest applies it:
// a listed certificate anywhere in the chain fails the evidence, and a list that cannot be loaded
// fails it closed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { proofKey } from '../oauth/dpop/dpop-fixtures.ts';
import { type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';
import { newChallenge } from './attest-fixtures.ts';
import {
  encodeClientData,
  makeAndroidChain,
  makeIntermediate,
  makeRoot,
  postHardwareEvidence,
  sha256,
  type TestCa,
} from './hardware-evidence-fixtures.ts';

const APP = 'com.example.catalog';
const SIGNING_DIGEST = sha256(Buffer.from('the app signing certificate')).toString('hex');
// The generated chain's serials: the intermediate is 00ff10 in DER (ff10 as the list writes it).
const INTERMEDIATE_SERIAL = 'ff10';
const statusList = (...serials: string[]) =>
  JSON.stringify({ entries: Object.fromEntries(serials.map((s) => [s, { status: 'SUSPENDED', reason: 'KEY_COMPROMISE' }])) });

describe('the Android revocation status list through /attest', () => {
  let root: TestCa;
  let intermediate: TestCa;
  let dir: string;
  let listServer: Server;
  let listBody = '';
  const servers: OAuthServer[] = [];
  before(async () => {
    root = await makeRoot('Portcullis Test Attestation Root');
    intermediate = await makeIntermediate(root, 'Test Attestation Key');
    dir = mkdtempSync(join(tmpdir(), 'portcullis-android-revocation-'));
    listServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(listBody));
    await new Promise<void>((resolve) => listServer.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    for (const server of servers) await server.close();
    listServer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function serverWithList(source: string): Promise<OAuthServer> {
    const server = await startOAuthServer(
      { PORTCULLIS_ANDROID_REVOCATION_LIST: source },
      { attestationRoots: { android: [root.pem] } },
    );
    servers.push(server);
    const registered = await server.adminRequest('POST', '/apps', { app_id: APP, digest: `sha256:${SIGNING_DIGEST}` });
    assert.equal(registered.status, 201);
    return server;
  }

  async function attest(server: OAuthServer) {
    const key = await proofKey();
    const attested = encodeClientData({ nonce: await newChallenge(server), jkt: key.jkt, app_id: APP });
    const chain = await makeAndroidChain(root, {
      intermediate,
      key,
      challenge: attested.hash,
      packageName: APP,
      signatureDigest: SIGNING_DIGEST,
    });
    return postHardwareEvidence(server, 'android-key', { chain, client_data: attested.encoded }, key);
  }

  it('a chain with no listed certificate passes; the list is read from a file', async () => {
    const file = join(dir, 'status.json');
    writeFileSync(file, statusList('c8966fcb2fbb0d7d', '2c8cdddfd5e03bfc'));
    const { status, body } = await attest(await serverWithList(file));
    assert.equal(status, 200, JSON.stringify(body));
  });

  it('a listed intermediate (SUSPENDED counts as much as REVOKED): revoked_certificate; the list is fetched from a URL', async () => {
    listBody = statusList('c8966fcb2fbb0d7d', INTERMEDIATE_SERIAL);
    const port = (listServer.address() as AddressInfo).port;
    const { status, body } = await attest(await serverWithList(`http://127.0.0.1:${port}/attestation/status`));
    assert.equal(status, 403);
    assert.deepEqual(body.reasons, ['revoked_certificate']);
  });

  it('a list that cannot be loaded: revocation_list_unavailable (fail closed), and the log says why', async () => {
    const server = await serverWithList(join(dir, 'missing.json'));
    const { status, body } = await attest(server);
    assert.equal(status, 403);
    assert.deepEqual(body.reasons, ['revocation_list_unavailable']);
    const warning = server.logs.map((line) => JSON.parse(line)).find((l) => l.event === 'android_revocation_list_unavailable');
    assert.ok(warning, 'a warning is logged');
    assert.match(warning.msg, /missing\.json\) could not be loaded: ENOENT/);
  });
});
