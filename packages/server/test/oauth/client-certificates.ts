import 'reflect-metadata';
import { createHash, KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as webcrypto.Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface TestCertificate {
  cert: string;
  key: string;
  /** base64url SHA-256 of the DER certificate: what `cnf.x5t#S256` must say. */
  thumbprint: string;
  keys: webcrypto.CryptoKeyPair;
}

async function pem(cert: x509.X509Certificate, keys: webcrypto.CryptoKeyPair): Promise<TestCertificate> {
  return {
    cert: cert.toString('pem'),
    key: KeyObject.from(keys.privateKey as unknown as webcrypto.CryptoKey)
      .export({ type: 'pkcs8', format: 'pem' })
      .toString(),
    thumbprint: createHash('sha256').update(Buffer.from(cert.rawData)).digest('base64url'),
    keys,
  };
}

const day = 86_400_000;

export async function makeCa(name: string): Promise<TestCertificate> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + day),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  return pem(cert, keys);
}

/** A client certificate (clientAuth) issued by `ca`, or self-signed when `ca` is null. */
export async function makeClientCertificate(subject: string, ca: TestCertificate | null): Promise<TestCertificate> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as webcrypto.CryptoKeyPair;
  const extensions = [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])];
  const common = {
    serialNumber: Date.now().toString(16),
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + day),
    signingAlgorithm: ALG,
    extensions,
  };
  const cert = ca
    ? await x509.X509CertificateGenerator.create({
        ...common,
        subject,
        issuer: new x509.X509Certificate(ca.cert).subject,
        publicKey: keys.publicKey,
        signingKey: ca.keys.privateKey,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: subject, keys });
  return pem(cert, keys);
}
