// `portcullis attest verify` on the real device samples in ../shared/fixtures/attestation (their
// certificates have expired: the clock is pinned as the fixtures' README says) and on generated
// software evidence.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { runCli } from './cli-process.ts';

const FIXTURES = resolve(import.meta.dirname, '../../../../shared/fixtures/attestation');
const AT = '2024-06-01T00:00:00Z';
const dir = mkdtempSync(join(tmpdir(), 'portcullis-attest-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('portcullis attest verify', () => {
  for (const env of ['development', 'production']) {
    it(`passes the real Apple App Attest ${env} sample`, async () => {
      const file = join(FIXTURES, 'apple', `attestation-${env}.json`);
      const { challenge } = JSON.parse(readFileSync(file, 'utf8')) as { challenge: string };
      const args = [
        'attest',
        'verify',
        '--format',
        'apple-app-attest',
        '--evidence',
        file,
        '--challenge',
        challenge,
        '--app-id',
        'V8H6LQ9448.io.uebelacker.AppAttestExample',
        '--at',
        AT,
      ];
      const result = await runCli([...args, '--json']);
      assert.equal(result.code, 0, result.stderr);
      const verdict = JSON.parse(result.stdout) as { verdict: string; facts: { environment: string } };
      assert.equal(verdict.verdict, 'pass');
      assert.equal(verdict.facts.environment, env);
      const today = await runCli(args.slice(0, -2));
      assert.equal(today.code, 1, 'today the certificates have expired');
      assert.match(today.stdout, /bad_certificate_chain/);
    });
  }

  /** The real Android TEE sample as one PEM file; its certificates, leaf first. */
  const TEE = join(FIXTURES, 'android', 'algorithm_EC_SecurityLevel_TEE');
  const teePems = [0, 1, 2, 3].map((i) => readFileSync(join(TEE, `cert${i}.pem`), 'utf8'));
  const teeChain = join(dir, 'chain.pem');
  writeFileSync(teeChain, teePems.join('\n'));
  /** `attest verify` of that chain against `challenge` at the fixtures' time, with any further flags. */
  const verifyTee = (challenge: string, ...more: string[]) =>
    runCli([
      'attest',
      'verify',
      '--format',
      'android-key',
      '--evidence',
      teeChain,
      '--challenge',
      Buffer.from(challenge).toString('base64'),
      '--at',
      AT,
      ...more,
    ]);

  it('passes the real Android TEE chain and names a wrong challenge', async () => {
    const ok = await verifyTee('abc');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /verdict: pass/);
    assert.match(ok.stdout, /TrustedEnvironment/);
    const wrong = await verifyTee('xyz');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout, /nonce_mismatch/);
    assert.equal(wrong.stderr.trim().split('\n').length, 1);
  });

  it('checks the Android chain against a revocation status list file', async () => {
    const verify = (list: string) => verifyTee('abc', '--revocation-list', list);
    // Google's published sample list revokes none of these certificates.
    const sample = await verify(join(FIXTURES, 'android', 'status.json'));
    assert.equal(sample.code, 0, sample.stdout + sample.stderr);
    // A list naming the intermediate (serial as Google writes it: lower-case hex, no leading zeros).
    const serial = new X509Certificate(teePems[1] as string).serialNumber.toLowerCase().replace(/^0+(?=.)/, '');
    const listed = join(dir, 'listed.json');
    writeFileSync(listed, JSON.stringify({ entries: { [serial]: { status: 'REVOKED', reason: 'KEY_COMPROMISE' } } }));
    const revoked = await verify(listed);
    assert.equal(revoked.code, 1);
    assert.match(revoked.stdout, /reasons: revoked_certificate/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"entries": []}');
    const refused = await verify(broken);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--revocation-list .*broken\.json: revocation status list has no "entries" object/);
  });

  it('verifies software evidence and reports its integrity signals', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const claims = {
      nonce: 'n-123',
      app_id: 'com.example.catalog',
      release: `sha256:${'ab'.repeat(32)}`,
      device_id: 'd',
      platform: 'android',
      iat: Math.floor(Date.now() / 1000),
      signals: { rooted: true },
    };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: 'ES256', typ: 'portcullis-evidence+jwt', jwk: await exportJWK(publicKey) })
      .sign(privateKey);
    const file = join(dir, 'evidence.jws');
    writeFileSync(file, jws);
    const result = await runCli([
      'attest',
      'verify',
      '--format',
      'software',
      '--evidence',
      file,
      '--challenge',
      Buffer.from('n-123').toString('base64'),
      '--json',
    ]);
    assert.equal(result.code, 1);
    assert.deepEqual((JSON.parse(result.stdout) as { reasons: string[] }).reasons, ['rooted']);
  });

  it('bad usage is exit 2', async () => {
    assert.equal((await runCli(['attest', 'verify', '--format', 'palm-os', '--evidence', 'x', '--challenge', 'eA=='])).code, 2);
    assert.equal(
      (await runCli(['attest', 'verify', '--format', 'software', '--evidence', join(dir, 'missing'), '--challenge', 'eA==']))
        .code,
      2,
    );
  });
});
