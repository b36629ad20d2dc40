import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, test } from 'node:test';
import { issueServerCertificate } from './issue-server-certificate.ts';
import { loadTlsIdentity, type TlsIdentity, TlsIdentityError } from './local-tls-identity.ts';

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-tls-'));
  tempDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, 'tls', name), 'utf8');
const mode = (file: string) => fs.statSync(file).mode & 0o777;

function assertNamesNoKeyMaterial(error: unknown, variable: string, keyPem: string): boolean {
  assert.ok(error instanceof TlsIdentityError, `expected TlsIdentityError, got ${String(error)}`);
  assert.match(error.message, new RegExp(variable));
  assert.doesNotMatch(error.message, /-----BEGIN|PRIVATE KEY/);
  const keyBody = keyPem.split('\n')[1] ?? 'unreachable';
  assert.ok(!error.message.includes(keyBody.slice(0, 20)));
  assert.ok(!error.message.includes('\n'), 'one line');
  return true;
}

test('first run creates a local CA and server certificate with private files', async () => {
  const dataDir = tempDir();
  const identity = await loadTlsIdentity({ dataDir, hostnames: ['api.example.test'] });
  const tlsDir = path.join(dataDir, 'tls');
  assert.deepEqual(fs.readdirSync(tlsDir).sort(), ['ca.crt', 'ca.key', 'server.crt', 'server.key']);
  assert.equal(mode(tlsDir), 0o700);
  assert.equal(mode(path.join(tlsDir, 'ca.key')), 0o600);
  assert.equal(mode(path.join(tlsDir, 'server.key')), 0o600);
  assert.equal(identity.caCertPath, path.join(tlsDir, 'ca.crt'));
  assert.equal(identity.caCert, read(dataDir, 'ca.crt'));
  assert.equal(identity.cert, read(dataDir, 'server.crt'));
  assert.equal(identity.key, read(dataDir, 'server.key'));

  const ca = new X509Certificate(identity.caCert ?? '');
  const server = new X509Certificate(identity.cert);
  assert.equal(ca.ca, true);
  assert.match(ca.subject, /^CN=Portcullis local CA [0-9a-f]{8}$/);
  assert.equal(server.ca, false);
  assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey));
  assert.deepEqual(server.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(server.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(server.validToDate.getTime() - Date.now() > 390 * 86_400_000);
  assert.ok(ca.validToDate.getTime() - Date.now() > 9 * 365 * 86_400_000);
  assert.notEqual(BigInt(`0x${server.serialNumber}`), 0n);
});

test('second run reuses the stored files as they are', async () => {
  const dataDir = tempDir();
  const first = await loadTlsIdentity({ dataDir, hostnames: ['api.example.test'] });
  const second = await loadTlsIdentity({ dataDir, hostnames: ['API.example.test.'] });
  assert.deepEqual(second, first);
});

test('server certificate names localhost, the loopback addresses and the public hosts', async () => {
  const identity = await loadTlsIdentity({ dataDir: tempDir(), hostnames: ['api.example.test', '192.0.2.7', '[2001:db8::5]'] });
  const sans = new X509Certificate(identity.cert).subjectAltName?.split(', ') ?? [];
  for (const expected of ['DNS:localhost', 'DNS:api.example.test', 'IP Address:127.0.0.1', 'IP Address:192.0.2.7']) {
    assert.ok(sans.includes(expected), `${expected} in ${sans.join(', ')}`);
  }
  const cert = new X509Certificate(identity.cert);
  assert.equal(cert.checkIP('::1'), '::1');
  assert.equal(cert.checkIP('2001:db8::5'), '2001:db8::5');
  assert.equal(sans.length, 6);
});

test('a TLS client that trusts the local CA connects to localhost and 127.0.0.1 with verification on', async () => {
  const identity = await loadTlsIdentity({ dataDir: tempDir(), hostnames: [] });
  const server = https.createServer({ cert: identity.cert, key: identity.key }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    assert.equal(await get(`https://localhost:${port}/`, identity), 'ok');
    assert.equal(await get(`https://127.0.0.1:${port}/`, identity), 'ok');
    await assert.rejects(get(`https://127.0.0.1:${port}/`, { ...identity, caCert: null }), {
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  } finally {
    server.close();
  }
});

function get(url: string, identity: TlsIdentity): Promise<string> {
  return new Promise((resolve, reject) => {
    // The server listens on IPv4 only; family 4 keeps "localhost" from resolving to ::1.
    const options = { family: 4, agent: false, ...(identity.caCert ? { ca: identity.caCert } : {}) };
    https
      .get(url, options, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

test('a changed host name list gets a new server certificate from the same CA', async () => {
  const dataDir = tempDir();
  const first = await loadTlsIdentity({ dataDir, hostnames: ['one.example.test'] });
  const caKey = read(dataDir, 'ca.key');
  const second = await loadTlsIdentity({ dataDir, hostnames: ['one.example.test', 'two.example.test'] });
  assert.equal(second.caCert, first.caCert);
  assert.equal(read(dataDir, 'ca.key'), caKey);
  assert.notEqual(second.cert, first.cert);
  assert.notEqual(second.key, first.key);
  const cert = new X509Certificate(second.cert);
  assert.equal(cert.checkHost('two.example.test'), 'two.example.test');
  assert.ok(cert.checkIssued(new X509Certificate(first.caCert ?? '')));
  assert.equal(read(dataDir, 'server.crt'), second.cert);
  assert.deepEqual(fs.readdirSync(path.join(dataDir, 'tls')).sort(), ['ca.crt', 'ca.key', 'server.crt', 'server.key']);
});

test('a server certificate expiring within 30 days is reissued from the same CA', async () => {
  const dataDir = tempDir();
  const first = await loadTlsIdentity({ dataDir, hostnames: [] });
  const ca = { cert: read(dataDir, 'ca.crt'), key: read(dataDir, 'ca.key') };
  const names = { dns: ['localhost'], ips: ['127.0.0.1', '::1'] };
  const old = await issueServerCertificate(ca, names, new Date(Date.now() - 380 * 86_400_000));
  fs.writeFileSync(path.join(dataDir, 'tls', 'server.key'), old.key);
  fs.writeFileSync(path.join(dataDir, 'tls', 'server.crt'), old.cert);
  const renewed = await loadTlsIdentity({ dataDir, hostnames: [] });
  assert.notEqual(renewed.cert, old.cert);
  assert.equal(renewed.caCert, first.caCert);
  assert.ok(new X509Certificate(renewed.cert).validToDate.getTime() - Date.now() > 390 * 86_400_000);
});

test('an unreadable server certificate is reissued, an unreadable CA is an error', async () => {
  const dataDir = tempDir();
  const first = await loadTlsIdentity({ dataDir, hostnames: [] });
  fs.writeFileSync(path.join(dataDir, 'tls', 'server.crt'), 'garbage');
  const second = await loadTlsIdentity({ dataDir, hostnames: [] });
  assert.equal(second.caCert, first.caCert);
  assert.ok(new X509Certificate(second.cert).checkIssued(new X509Certificate(first.caCert ?? '')));

  const caKeyPath = path.join(dataDir, 'tls', 'ca.key');
  const caKey = fs.readFileSync(caKeyPath, 'utf8');
  fs.writeFileSync(caKeyPath, caKey.slice(0, 60));
  await assert.rejects(loadTlsIdentity({ dataDir, hostnames: [] }), (error) =>
    assertNamesNoKeyMaterial(error, 'ca\\.key', caKey),
  );
  fs.rmSync(caKeyPath);
  await assert.rejects(loadTlsIdentity({ dataDir, hostnames: [] }), (error) =>
    assertNamesNoKeyMaterial(error, 'ca\\.key', caKey),
  );
  assert.equal(read(dataDir, 'ca.crt'), first.caCert, 'the CA certificate people may trust is left alone');
});

async function writeSuppliedPair(dir: string): Promise<{ certPath: string; keyPath: string; identity: TlsIdentity }> {
  const identity = await loadTlsIdentity({ dataDir: tempDir(), hostnames: ['supplied.example.test'] });
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  // A chain file: the server certificate followed by its issuer, as operators usually supply it.
  fs.writeFileSync(certPath, identity.cert + (identity.caCert ?? ''));
  fs.writeFileSync(keyPath, identity.key);
  return { certPath, keyPath, identity };
}

test('supplied certificate and key files are used as they are', async () => {
  const dir = tempDir();
  const { certPath, keyPath } = await writeSuppliedPair(dir);
  const dataDir = tempDir();
  const identity = await loadTlsIdentity({ dataDir, hostnames: ['other.example.test'], tlsCert: certPath, tlsKey: keyPath });
  assert.deepEqual(identity, {
    cert: fs.readFileSync(certPath, 'utf8'),
    key: fs.readFileSync(keyPath, 'utf8'),
    caCertPath: null,
    caCert: null,
  });
  assert.equal(fs.existsSync(path.join(dataDir, 'tls')), false);
});

test('a supplied key that does not match the certificate names PORTCULLIS_TLS_KEY', async () => {
  const dir = tempDir();
  const { certPath } = await writeSuppliedPair(dir);
  const other = await writeSuppliedPair(tempDir());
  await assert.rejects(
    loadTlsIdentity({ dataDir: tempDir(), hostnames: [], tlsCert: certPath, tlsKey: other.keyPath }),
    (error) => assertNamesNoKeyMaterial(error, 'PORTCULLIS_TLS_KEY', other.identity.key),
  );
});

test('missing or malformed supplied files name their variable', async () => {
  const dir = tempDir();
  const { certPath, keyPath, identity } = await writeSuppliedPair(dir);
  const missing = path.join(dir, 'missing.pem');
  const dataDir = tempDir();
  await assert.rejects(loadTlsIdentity({ dataDir, hostnames: [], tlsCert: missing, tlsKey: keyPath }), (error) =>
    assertNamesNoKeyMaterial(error, 'PORTCULLIS_TLS_CERT', identity.key),
  );
  await assert.rejects(loadTlsIdentity({ dataDir, hostnames: [], tlsCert: certPath, tlsKey: missing }), (error) =>
    assertNamesNoKeyMaterial(error, 'PORTCULLIS_TLS_KEY', identity.key),
  );
  // A key where the certificate should be: the message must not echo the file back.
  await assert.rejects(loadTlsIdentity({ dataDir, hostnames: [], tlsCert: keyPath, tlsKey: keyPath }), (error) =>
    assertNamesNoKeyMaterial(error, 'PORTCULLIS_TLS_CERT', identity.key),
  );
  await assert.rejects(loadTlsIdentity({ dataDir, hostnames: [], tlsCert: certPath, tlsKey: certPath }), (error) =>
    assertNamesNoKeyMaterial(error, 'PORTCULLIS_TLS_KEY', identity.key),
  );
  await assert.rejects(loadTlsIdentity({ dataDir, hostnames: [], tlsCert: certPath }), (error) =>
    assertNamesNoKeyMaterial(error, 'PORTCULLIS_TLS_KEY', identity.key),
  );
});

test('a public host name that cannot go in a certificate is a clear error', async () => {
  await assert.rejects(loadTlsIdentity({ dataDir: tempDir(), hostnames: ['bad host'] }), (error) => {
    assert.ok(error instanceof TlsIdentityError);
    assert.match(error.message, /PORTCULLIS_PUBLIC_URL/);
    return true;
  });
});
