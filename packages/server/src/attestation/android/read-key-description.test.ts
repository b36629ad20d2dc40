import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { verifyAndroidKeyAttestation } from './verify-android-key-attestation.ts';

const FIXTURES = new URL(
  '../../../../../../shared/fixtures/attestation/android/algorithm_RSA_SecurityLevel_TEE/',
  import.meta.url,
);
const [leaf = '', intermediate = '', batch = '', root = ''] = [0, 1, 2, 3].map((index) =>
  readFileSync(new URL(`cert${index}.pem`, FIXTURES), 'utf8'),
);
const AT = new Date('2024-06-01T00:00:00Z');
const CHALLENGE = new TextEncoder().encode('abc');

function toPem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

// The DER encoding of OID 1.3.6.1.4.1.11129.2.1.17, where the extension starts in the leaf.
const KEY_DESCRIPTION_OID = Buffer.from('060a2b06010401d679020111', 'hex');
const leafDer = Buffer.from(leaf.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
const extensionStart = leafDer.indexOf(KEY_DESCRIPTION_OID);

describe('KeyDescription extension', () => {
  it('a leaf without it is malformed', async () => {
    const result = await verifyAndroidKeyAttestation({ chain: [intermediate, batch, root], challenge: CHALLENGE, now: AT });
    assert.deepEqual(result, { ok: false, reasons: ['malformed'] });
  });

  it('one outside the leaf (a chain extended past the attested key) is malformed', async () => {
    const result = await verifyAndroidKeyAttestation({
      chain: [leaf, leaf, intermediate, batch, root],
      challenge: CHALLENGE,
      now: AT,
    });
    assert.deepEqual(result, { ok: false, reasons: ['malformed'] });
  });

  it('mutated bytes never throw, never pass, and come back quickly', async () => {
    assert.ok(extensionStart > 0);
    // Deterministic xorshift so a failure can be replayed.
    let state = 0x2545f491;
    const random = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 2 ** 32;
    };
    const seen = new Set<string>();
    for (let round = 0; round < 300; round++) {
      const mutated = Buffer.from(leafDer);
      for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) {
        const at = extensionStart + Math.floor(random() * (mutated.length - extensionStart));
        mutated[at] = Math.floor(random() * 256);
      }
      const started = performance.now();
      const result = await verifyAndroidKeyAttestation({
        chain: [toPem(mutated), intermediate, batch, root],
        challenge: CHALLENGE,
        now: AT,
      });
      assert.ok(performance.now() - started < 200, `round ${round} took too long`);
      // Rewriting a byte to its own value leaves the certificate intact.
      if (mutated.equals(leafDer)) continue;
      assert.equal(result.ok, false, `round ${round} passed`);
      if (!result.ok) for (const reason of result.reasons) seen.add(reason);
    }
    // Both outcomes occur: DER that no longer decodes, and decodable bytes the signature no longer covers.
    assert.ok(seen.has('malformed') && seen.has('bad_certificate_chain'), [...seen].join());
  });
});
