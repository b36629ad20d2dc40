import { createPrivateKey, type KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { createLocalCa, type HostNames, issueServerCertificate, type PemPair } from './issue-server-certificate.ts';

export interface TlsIdentity {
  /** PEM: the server certificate, then its chain if any. */
  cert: string;
  /** PEM private key of the server certificate. */
  key: string;
  /** Path of the generated local CA certificate; null when the operator supplied cert and key. */
  caCertPath: string | null;
  /** PEM of that local CA. */
  caCert: string | null;
}

/** One line naming the file or variable and what is wrong with it; never carries key material. */
export class TlsIdentityError extends Error {
  override name = 'TlsIdentityError';
}

export interface LoadTlsIdentityOptions {
  dataDir: string;
  /** Host names of PORTCULLIS_PUBLIC_URL; localhost, 127.0.0.1 and ::1 are always added. */
  hostnames: string[];
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
}

// Renewing a month ahead means a server restarted now and then never ends up serving an expired certificate.
const RENEW_BEFORE_MS = 30 * 86_400_000;

/** The operator's certificate and key when given, otherwise a local CA and server certificate in `<dataDir>/tls`. */
export async function loadTlsIdentity(options: LoadTlsIdentityOptions): Promise<TlsIdentity> {
  if (options.tlsCert || options.tlsKey) return loadSuppliedIdentity(options.tlsCert, options.tlsKey);
  return loadLocalIdentity(path.resolve(options.dataDir, 'tls'), requiredHostNames(options.hostnames));
}

async function loadSuppliedIdentity(certPath: string | undefined, keyPath: string | undefined): Promise<TlsIdentity> {
  if (!certPath || !keyPath) throw new TlsIdentityError('PORTCULLIS_TLS_CERT and PORTCULLIS_TLS_KEY: set both or neither');
  const certLabel = `PORTCULLIS_TLS_CERT (${certPath})`;
  const keyLabel = `PORTCULLIS_TLS_KEY (${keyPath})`;
  const cert = await readText(certPath, certLabel);
  const key = await readText(keyPath, keyLabel);
  const leaf = parseCertificate(cert, certLabel);
  if (!keyMatches(leaf, parsePrivateKey(key, keyLabel))) {
    throw new TlsIdentityError(`${keyLabel} does not match the certificate in ${certLabel}`);
  }
  return { cert, key, caCertPath: null, caCert: null };
}

async function loadLocalIdentity(dir: string, names: HostNames): Promise<TlsIdentity> {
  const file = (name: string) => path.join(dir, name);
  await mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
    throw new TlsIdentityError(`${dir} cannot be created (${errorCode(error)})`, { cause: error });
  });
  const now = new Date();
  let ca = await readLocalCa(file('ca.crt'), file('ca.key'), now);
  if (!ca) {
    const pem = await createLocalCa(now);
    // The key goes first: ca.crt is what people trust, so it only exists once its key is safely on disk.
    await writeFileAtomic(file('ca.key'), pem.key, 0o600);
    await writeFileAtomic(file('ca.crt'), pem.cert, 0o644);
    ca = { pem, cert: new X509Certificate(pem.cert) };
  }
  let server = await readUsableServerCertificate(file('server.crt'), file('server.key'), ca.cert, names, now);
  if (!server) {
    server = await issueServerCertificate(ca.pem, names, now).catch((error: unknown) => {
      throw new TlsIdentityError(`${file('ca.key')} could not sign a server certificate (${errorCode(error)})`);
    });
    // A crash between the two writes leaves a pair that does not match, which the next start reissues.
    await writeFileAtomic(file('server.key'), server.key, 0o600);
    await writeFileAtomic(file('server.crt'), server.cert, 0o644);
  }
  return { cert: server.cert, key: server.key, caCertPath: file('ca.crt'), caCert: ca.pem.cert };
}

interface LocalCa {
  pem: PemPair;
  cert: X509Certificate;
}

/**
 * null when there is no CA yet: ca.crt is written last, so a ca.key without it is the remnant of an
 * interrupted first run. A CA certificate that exists but cannot be used is an error, never replaced,
 * because people may have trusted it.
 */
async function readLocalCa(certPath: string, keyPath: string, now: Date): Promise<LocalCa | null> {
  const cert = await readFile(certPath, 'utf8').catch((error: unknown) => {
    if (errorCode(error) === 'ENOENT') return null;
    throw new TlsIdentityError(`${certPath} cannot be read (${errorCode(error)})`, { cause: error });
  });
  if (cert === null) return null;
  const key = await readText(keyPath, keyPath);
  const parsed = parseCertificate(cert, certPath);
  if (!parsed.ca) throw new TlsIdentityError(`${certPath} is not a CA certificate`);
  if (!keyMatches(parsed, parsePrivateKey(key, keyPath))) {
    throw new TlsIdentityError(`${keyPath} does not match the local CA certificate ${certPath}`);
  }
  if (parsed.validToDate <= now) {
    throw new TlsIdentityError(
      `${certPath} expired on ${parsed.validTo}; delete ${path.dirname(certPath)} to create a new local CA`,
    );
  }
  return { pem: { cert, key }, cert: parsed };
}

/** The stored server certificate if it is intact, issued by `ca`, names every host and is not about to expire. */
async function readUsableServerCertificate(
  certPath: string,
  keyPath: string,
  ca: X509Certificate,
  names: HostNames,
  now: Date,
): Promise<PemPair | null> {
  try {
    const cert = await readFile(certPath, 'utf8');
    const key = await readFile(keyPath, 'utf8');
    const parsed = new X509Certificate(cert);
    const usable =
      keyMatches(parsed, createPrivateKey(key)) &&
      parsed.checkIssued(ca) &&
      parsed.verify(ca.publicKey) &&
      parsed.validToDate.getTime() - now.getTime() > RENEW_BEFORE_MS &&
      names.dns.every((name) => parsed.checkHost(name, { subject: 'never', wildcards: false }) !== undefined) &&
      names.ips.every((ip) => parsed.checkIP(ip) !== undefined);
    return usable ? { cert, key } : null;
  } catch {
    return null;
  }
}

function requiredHostNames(hostnames: string[]): HostNames {
  const dns = new Set(['localhost']);
  const ips = new Set(['127.0.0.1', '::1']);
  for (const raw of hostnames) {
    // URL.hostname keeps IPv6 brackets, and a SAN dNSName has no trailing dot (RFC 5280 §4.2.1.6).
    const name = raw
      .trim()
      .toLowerCase()
      .replace(/^\[(.*)\]$|\.$/g, '$1');
    if (name === '') continue;
    if (isIP(name) !== 0) ips.add(name);
    else if (/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(name)) dns.add(name);
    else throw new TlsIdentityError(`PORTCULLIS_PUBLIC_URL: host name "${raw}" cannot be put in a TLS certificate`);
  }
  return { dns: [...dns], ips: [...ips] };
}

async function readText(file: string, label: string): Promise<string> {
  return readFile(file, 'utf8').catch((error: unknown) => {
    throw new TlsIdentityError(`${label} cannot be read (${errorCode(error)})`, { cause: error });
  });
}

/** The first certificate of a PEM file; every certificate in it must parse, so a broken chain fails at start-up. */
function parseCertificate(pem: string, label: string): X509Certificate {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const certs = blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new TlsIdentityError(`${label} contains a PEM certificate that cannot be parsed`);
    }
  });
  const [leaf] = certs;
  if (!leaf) throw new TlsIdentityError(`${label} is not a PEM certificate`);
  return leaf;
}

function parsePrivateKey(pem: string, label: string): KeyObject {
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) throw new TlsIdentityError(`${label} is not a PEM private key`);
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new TlsIdentityError(`${label} is not a usable PEM private key (encrypted keys are not supported)`);
  }
}

function keyMatches(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false;
  }
}

// Write-then-rename, so a crash leaves either the old file or the whole new one, never half a key.
async function writeFileAtomic(file: string, data: string, mode: number): Promise<void> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, mode);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new TlsIdentityError(`${file} cannot be written (${errorCode(error)})`, { cause: error });
  }
}

function errorCode(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}
