import type { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readCertificate, splitPemBundle } from './read-pem-certificates.ts';

// Android "Verify hardware-backed key pairs with key attestation", "Root certificates": the set
// Google publishes (also at https://android.googleapis.com/attestation/root). The file says where
// each certificate comes from.
const SHIPPED_ROOTS = new URL('../roots/google-hardware-attestation-roots.crt', import.meta.url);

let googleRoots: readonly X509Certificate[] | undefined;

/**
 * Parses trust anchors given as PEM. They come from the server's files or configuration, not from
 * the device, so a bad one is a programming error and throws rather than blaming the evidence.
 */
export function parseRoots(pems: readonly string[]): X509Certificate[] {
  return pems.map((pem, index) => {
    try {
      return readCertificate(pem);
    } catch (error) {
      throw new TypeError(`roots[${index}] is not a PEM certificate`, { cause: error });
    }
  });
}

/** The shipped Google hardware attestation roots as PEM strings, for display or configuration. */
export function readGoogleRootPems(): string[] {
  return splitPemBundle(readFileSync(SHIPPED_ROOTS, 'utf8'));
}

/** The shipped Google hardware attestation roots, read on first use. */
export function loadGoogleRoots(): readonly X509Certificate[] {
  googleRoots ??= Object.freeze(parseRoots(readGoogleRootPems()));
  return googleRoots;
}
