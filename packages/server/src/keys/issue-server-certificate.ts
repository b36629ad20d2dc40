import { createPrivateKey, KeyObject, randomBytes, type webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

export interface PemPair {
  cert: string;
  key: string;
}

export interface HostNames {
  dns: string[];
  ips: string[];
}

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const DAY_MS = 86_400_000;
const CA_VALIDITY_DAYS = 3652;
// Apple and the browsers refuse TLS server certificates valid for more than 398 days; one day of margin.
const SERVER_VALIDITY_DAYS = 397;
// A client whose clock runs a little behind must not see a certificate that is "not yet valid".
const BACKDATE_MS = 60 * 60 * 1000;

/** A self-signed ECDSA P-256 CA that may sign end-entity certificates only (pathLength 0). */
export async function createLocalCa(now: Date = new Date()): Promise<PemPair> {
  const x509 = await loadX509();
  const keys = await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  // A random suffix tells apart the CAs of several installations trusted on one developer machine.
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: `CN=Portcullis local CA ${randomBytes(4).toString('hex')}`,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: `${cert.toString('pem')}\n`, key: exportPrivateKeyPem(keys.privateKey) };
}

/** An ECDSA P-256 TLS server certificate for `names`, signed by the CA in `ca`. */
export async function issueServerCertificate(ca: PemPair, names: HostNames, now: Date = new Date()): Promise<PemPair> {
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = createPrivateKey(ca.key).toCryptoKey(EC_P256, false, ['sign']);
  const keys = await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  // A certificate outliving its issuer would fail verification anyway; end it with the CA instead.
  const notAfter = Math.min(now.getTime() + SERVER_VALIDITY_DAYS * DAY_MS, caCert.notAfter.getTime());
  const commonName = names.dns.find((name) => name !== 'localhost') ?? names.dns[0] ?? 'localhost';
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: `CN=${commonName}`,
    issuer: caCert.subjectName,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(notAfter),
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      // RFC 6125 §6.4.4: clients match SANs only and ignore the CN once a SAN is present.
      new x509.SubjectAlternativeNameExtension([
        ...names.dns.map((value) => ({ type: 'dns' as const, value })),
        ...names.ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: `${cert.toString('pem')}\n`, key: exportPrivateKeyPem(keys.privateKey) };
}

let x509Module: Promise<typeof X509> | undefined;

// Loaded on demand: a server whose certificate is still good never pays for the library.
function loadX509(): Promise<typeof X509> {
  x509Module ??= (async () => {
    // @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    // Node's own WebCrypto: no second crypto implementation, and its keys export to PEM through KeyObject.
    x509.cryptoProvider.set(globalThis.crypto);
    return x509;
  })();
  return x509Module;
}

// RFC 5280 §4.1.2.2: positive, at most 20 octets. 16 random bytes with the top bit cleared and the
// next one set stay positive and keep a fixed length (no leading zero octet to strip).
function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function exportPrivateKeyPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}
