import { type JsonWebKey, timingSafeEqual, type X509Certificate } from 'node:crypto';
import { checkChainLinks, endsInTrustedRoot, hasRevokedCertificate } from './check-certificate-chain.ts';
import { loadGoogleRoots, parseRoots } from './google-roots.ts';
import { type KeyDescriptionFacts, readKeyDescription } from './read-key-description.ts';
import { readCertificateChain } from './read-pem-certificates.ts';
import type { AndroidKeyInput, AndroidKeyResult, AndroidReason } from './types.ts';

// Android "Verify hardware-backed key pairs with key attestation" (developer.android.com), in the
// order the page lists the checks:
//   3. every certificate is signed by the next, each valid now  → bad_certificate_chain
//      and the root is one of Google's                           → untrusted_root
//   4. no certificate is on the revocation status list           → revoked_certificate
//   6. the leaf's KeyDescription decodes                         → malformed otherwise
//   7. attestationChallenge is the issued nonce                  → nonce_mismatch
//      the key lives in TEE or StrongBox                         → software_only

const NO_REVOCATIONS: ReadonlySet<string> = new Set();

interface Evidence {
  chain: X509Certificate[];
  description: KeyDescriptionFacts;
  publicKeyJwk: JsonWebKey;
}

/** Everything taken from the device; any failure to read it is the evidence's fault. */
function readEvidence(pems: unknown): Evidence | undefined {
  try {
    const chain = readCertificateChain(pems);
    const description = readKeyDescription(chain);
    const publicKeyJwk = chain[0]?.publicKey.export({ format: 'jwk' });
    return publicKeyJwk ? { chain, description, publicKeyJwk } : undefined;
  } catch {
    // MalformedKeyAttestation, or any decoder error on hostile input (deep nesting, bad lengths,
    // unsupported key types): all are `malformed`, never a server error.
    return undefined;
  }
}

// Compared in constant time so a client cannot learn the nonce byte by byte; lengths are public.
function isSameNonce(attested: Uint8Array, issued: Uint8Array): boolean {
  return attested.byteLength === issued.byteLength && timingSafeEqual(attested, issued);
}

/**
 * Verifies an Android Key Attestation certificate chain offline (no database, no network) and
 * returns what it attests, or every reason it cannot be trusted. Evidence that does not parse
 * resolves to `malformed`; only caller mistakes (roots that are not certificates) reject.
 *
 * @example
 * const result = await verifyAndroidKeyAttestation({ chain, challenge: nonce, revokedSerials });
 * if (result.ok) console.log(result.facts.packageNames, result.facts.verifiedBootState);
 */
export async function verifyAndroidKeyAttestation(input: AndroidKeyInput): Promise<AndroidKeyResult> {
  const roots = input.roots ? parseRoots(input.roots) : loadGoogleRoots();
  const now = input.now ?? new Date();
  const evidence = readEvidence(input.chain);
  if (!evidence) return { ok: false, reasons: ['malformed'] };
  const { chain, description, publicKeyJwk } = evidence;

  const reasons: AndroidReason[] = [];
  if (!checkChainLinks(chain, now)) reasons.push('bad_certificate_chain');
  if (!endsInTrustedRoot(chain, roots)) reasons.push('untrusted_root');
  if (hasRevokedCertificate(chain, input.revokedSerials ?? NO_REVOCATIONS)) reasons.push('revoked_certificate');
  if (!isSameNonce(description.attestationChallenge, input.challenge)) reasons.push('nonce_mismatch');
  // Android "Verify hardware-backed key pairs": attestationSecurityLevel must be TrustedEnvironment
  // or StrongBox. A Software keymaster level means the key itself is not in secure hardware either.
  if (description.attestationSecurityLevel === 'Software' || description.keymasterSecurityLevel === 'Software') {
    reasons.push('software_only');
  }
  if (reasons.length > 0) return { ok: false, reasons };

  const { attestationChallenge: _nonce, ...facts } = description;
  return { ok: true, facts: { publicKeyJwk, ...facts } };
}
