import type { X509Certificate } from 'node:crypto';
import { normalizeSerial } from './revocation-status-list.ts';

// RFC 5280 §4.1.2.5: the validity period is inclusive of both notBefore and notAfter.
function isValidAt(certificate: X509Certificate, now: Date): boolean {
  return certificate.validFromDate.getTime() <= now.getTime() && now.getTime() <= certificate.validToDate.getTime();
}

function isSignedBy(subject: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return subject.verify(issuer.publicKey);
  } catch {
    // A key type the signature algorithm cannot use is a broken link, not a server error.
    return false;
  }
}

/**
 * Android "Verify hardware-backed key pairs with key attestation", step 3: each certificate is
 * signed by the next one's key, and (RFC 5280 §6.1.3 (a)(2)) each is valid at `now`, the root
 * included. The rule is the signature link; issuer names and CA flags are not compared.
 */
export function checkChainLinks(chain: readonly X509Certificate[], now: Date): boolean {
  return chain.every((certificate, index) => {
    const issuer = chain[index + 1];
    return isValidAt(certificate, now) && (issuer === undefined || isSignedBy(certificate, issuer));
  });
}

/**
 * Android "Root certificates": the chain must end in one of Google's roots. The last certificate
 * has to be the very DER of a trusted root, so neither its subject nor its key alone is enough.
 */
export function endsInTrustedRoot(chain: readonly X509Certificate[], roots: readonly X509Certificate[]): boolean {
  const last = chain.at(-1);
  return last !== undefined && roots.some((root) => root.raw.equals(last.raw));
}

/**
 * Android "Certificate revocation status list", step 4: no certificate in the chain may be listed.
 * The list writes serials in lower-case hex without leading zeros; a caller-built set written the
 * way `X509Certificate#serialNumber` prints them (zero-padded) matches too.
 */
export function hasRevokedCertificate(chain: readonly X509Certificate[], revokedSerials: ReadonlySet<string>): boolean {
  if (revokedSerials.size === 0) return false;
  return chain.some((certificate) => {
    const serial = certificate.serialNumber.toLowerCase();
    return revokedSerials.has(normalizeSerial(serial)) || revokedSerials.has(serial);
  });
}
