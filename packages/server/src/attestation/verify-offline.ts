import { createHash } from 'node:crypto';
import { splitPemBundle, verifyAndroidKeyAttestation } from './android/index.ts';

export { parseRevocationStatusList } from './android/index.ts';

import { verifyAppleAttestation } from './apple/index.ts';
import { readAndroidEvidence, readAppleEvidence } from './read-hardware-evidence.ts';
import { verifySoftwareEvidence } from './verify-software-evidence.ts';

export interface OfflineVerification {
  verdict: 'pass' | 'fail';
  reasons: string[];
  /** What the evidence says, for the person debugging it. */
  facts: Record<string, unknown>;
}

/**
 * Verifies captured evidence without a server: the same verifiers `/attest` uses, with the clock
 * set to `at`. For support engineers with a failing device's capture in hand.
 *   apple-app-attest: a JSON file {attestation, keyId} (base64); the challenge is the client data
 *   android-key: a PEM file with the chain, leaf first; the challenge is the attestation challenge
 *   software: the JWS; the challenge is its nonce
 * Evidence exactly as an app sent it to POST /attest (ATTESTATION.md §2.3, §2.4: with its
 * `client_data`) needs no challenge: the device attested the SHA-256 of that client data, which is
 * checked here, and the client data (nonce, instance key, app) is shown. Whether the nonce was one
 * the server issued cannot be known offline. Android revocation is checked only against a status
 * list the caller passes (`revokedSerials`): offline means no fetching.
 */
export async function verifyOffline(
  format: string,
  evidence: string,
  challenge: Uint8Array | undefined,
  options: { appId?: string; at: Date; revokedSerials?: ReadonlySet<string> },
): Promise<OfflineVerification> {
  const sent =
    format === 'apple-app-attest'
      ? readAppleEvidence(evidence)
      : format === 'android-key'
        ? readAndroidEvidence(evidence)
        : undefined;
  if (sent && 'keyId' in sent) {
    const appId = options.appId ?? sent.clientData.claims.app_id;
    const result = await verifyAppleAttestation({
      attestation: sent.attestation,
      keyId: sent.keyId,
      clientDataHash: sent.clientData.hash,
      appId,
      environment: 'either',
      now: options.at,
    });
    const facts = { client_data: sent.clientData.claims };
    return result.ok
      ? { verdict: 'pass', reasons: [], facts: { ...facts, environment: result.environment, publicKey: result.publicKeyJwk } }
      : { verdict: 'fail', reasons: result.reasons, facts };
  }
  if (sent) {
    const result = await verifyAndroidKeyAttestation({
      chain: sent.chain,
      challenge: sent.clientData.hash,
      now: options.at,
      ...(options.revokedSerials ? { revokedSerials: options.revokedSerials } : {}),
    });
    const facts = { client_data: sent.clientData.claims };
    return result.ok
      ? { verdict: 'pass', reasons: [], facts: { ...facts, ...result.facts } }
      : { verdict: 'fail', reasons: result.reasons, facts };
  }
  if (challenge === undefined)
    return {
      verdict: 'fail',
      reasons: ['malformed'],
      facts: { needs: 'a challenge, unless the evidence is what the app sent to /attest' },
    };
  switch (format) {
    case 'apple-app-attest': {
      let doc: { attestation?: unknown; keyId?: unknown };
      try {
        doc = JSON.parse(evidence);
      } catch {
        return { verdict: 'fail', reasons: ['malformed'], facts: {} };
      }
      if (typeof doc.attestation !== 'string' || typeof doc.keyId !== 'string' || !options.appId) {
        return { verdict: 'fail', reasons: ['malformed'], facts: { needs: 'attestation and keyId in the file, and --app-id' } };
      }
      const result = await verifyAppleAttestation({
        attestation: Buffer.from(doc.attestation, 'base64'),
        keyId: Buffer.from(doc.keyId, 'base64'),
        clientDataHash: createHash('sha256').update(challenge).digest(),
        appId: options.appId,
        environment: 'either',
        now: options.at,
      });
      return result.ok
        ? { verdict: 'pass', reasons: [], facts: { environment: result.environment, publicKey: result.publicKeyJwk } }
        : { verdict: 'fail', reasons: result.reasons, facts: {} };
    }
    case 'android-key': {
      const result = await verifyAndroidKeyAttestation({
        chain: splitPemBundle(evidence),
        challenge,
        now: options.at,
        ...(options.revokedSerials ? { revokedSerials: options.revokedSerials } : {}),
      });
      return result.ok
        ? { verdict: 'pass', reasons: [], facts: { ...result.facts } }
        : { verdict: 'fail', reasons: result.reasons, facts: {} };
    }
    case 'software': {
      const result = await verifySoftwareEvidence(evidence.trim(), options.at.getTime());
      if (!result.ok) return { verdict: 'fail', reasons: result.reasons, facts: {} };
      const reasons = result.evidence.nonce === Buffer.from(challenge).toString('utf8') ? [] : ['nonce_unknown'];
      const signals = Object.entries(result.evidence.signals)
        .filter(([, v]) => v === true)
        .map(([k]) => k);
      reasons.push(...signals);
      return { verdict: reasons.length === 0 ? 'pass' : 'fail', reasons, facts: { ...result.evidence, jkt: result.jkt } };
    }
    default:
      return { verdict: 'fail', reasons: ['malformed'], facts: { formats: ['apple-app-attest', 'android-key', 'software'] } };
  }
}
