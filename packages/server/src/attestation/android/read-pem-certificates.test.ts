import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { verifyAndroidKeyAttestation } from './verify-android-key-attestation.ts';

const FIXTURES = new URL(
  '../../../../../../shared/fixtures/attestation/android/algorithm_EC_SecurityLevel_TEE/',
  import.meta.url,
);
const chain = [0, 1, 2, 3].map((index) => readFileSync(new URL(`cert${index}.pem`, FIXTURES), 'utf8'));
const [leaf = '', intermediate = '', batch = '', root = ''] = chain;
const AT = new Date('2024-06-01T00:00:00Z');
const CHALLENGE = new TextEncoder().encode('abc');
const MALFORMED = { ok: false, reasons: ['malformed'] };

// Each one must come back as `malformed` well within this, whatever it contains.
const QUICKLY_MS = 200;

async function assertMalformed(chainInput: unknown, label: string): Promise<void> {
  const started = performance.now();
  // The type says string[]; the HTTP layer may still hand over anything.
  const result = await verifyAndroidKeyAttestation({ chain: chainInput as string[], challenge: CHALLENGE, now: AT });
  assert.deepEqual(result, MALFORMED, label);
  assert.ok(performance.now() - started < QUICKLY_MS, `${label} took too long`);
}

const body = leaf.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
const pem = (label: string, base64: string) => `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;

describe('malformed Android Key Attestation evidence', () => {
  it('truncated, garbage and non-certificate PEM', async () => {
    const cases: [string, string][] = [
      ['truncated PEM', leaf.slice(0, leaf.length / 2)],
      ['truncated DER', pem('CERTIFICATE', body.slice(0, 400))],
      ['garbage base64', pem('CERTIFICATE', 'not*base64!')],
      ['random bytes', pem('CERTIFICATE', Buffer.from('x'.repeat(300)).toString('base64'))],
      [
        'trailing bytes after the DER',
        pem('CERTIFICATE', Buffer.concat([Buffer.from(body, 'base64'), Buffer.from([0])]).toString('base64')),
      ],
      ['public key PEM', pem('PUBLIC KEY', body)],
      ['two certificates in one entry', leaf + intermediate],
      ['empty string', ''],
    ];
    for (const [label, bad] of cases) await assertMalformed([bad, intermediate, batch, root], label);
  });

  it('a chain of 11 certificates', async () => {
    await assertMalformed([leaf, ...Array.from({ length: 10 }, () => intermediate)], '11 certificates');
  });

  it('a certificate over 16 KiB', async () => {
    await assertMalformed([leaf.replace('\n', `\n${' '.repeat(16 * 1024)}`), intermediate, batch, root], '16 KiB');
  });

  it('not a list of strings, or too short', async () => {
    await assertMalformed('not a list', 'string');
    await assertMalformed([leaf, 42, batch, root], 'number');
    await assertMalformed([leaf], 'single certificate');
    await assertMalformed([], 'empty');
  });
});
