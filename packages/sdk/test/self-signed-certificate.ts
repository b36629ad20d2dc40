import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A P-256 certificate signed by its own key, made by openssl: well-formed, and issued by nobody a
 * Portcullis server or pin set trusts. `dnsName` adds a subjectAltName so TLS clients accept it
 * for that host when told to trust the certificate itself.
 */
export async function selfSignedCertificate(commonName: string, dnsName?: string): Promise<{ keyPem: string; certPem: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      `/CN=${commonName}`,
      '-days',
      '1',
      ...(dnsName ? ['-addext', `subjectAltName=DNS:${dnsName}`] : []),
    ]);
    return { keyPem: await readFile(key, 'utf8'), certPem: await readFile(cert, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
