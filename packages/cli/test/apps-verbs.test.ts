// The `apps` verbs against a real `portcullis serve`: a release is registered by the SHA-256 of
// its artifact, computed here; the artifact itself never goes to the server.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { useServer } from './cli-process.ts';

describe('portcullis apps', () => {
  const { cli } = useServer();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-apps-'));
  const artifact = join(dir, 'catalog-1.0.apk');
  const bytes = Buffer.from('not really an APK, but bytes all the same');
  before(() => writeFileSync(artifact, bytes));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('registers a release from --file by its locally computed SHA-256, and from --digest', async () => {
    const fromFile = await cli(['apps', 'register', 'com.example.catalog', '--file', artifact, '--version', '1.0', '--json']);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(
      (JSON.parse(fromFile.stdout) as { digest: string }).digest,
      `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    );
    const fromDigest = await cli([
      'apps',
      'register',
      'com.example.catalog',
      '--digest',
      `sha256:${'12'.repeat(32)}`,
      '--version',
      '1.1',
    ]);
    assert.equal(fromDigest.code, 0, fromDigest.stderr);
    assert.match(fromDigest.stdout, /registered com\.example\.catalog 1\.1/);
    const listed = await cli(['apps', 'list']);
    assert.match(listed.stdout, /com\.example\.catalog\s+1\.0/);
  });

  it('revokes one version', async () => {
    const revoked = await cli(['apps', 'revoke', 'com.example.catalog', '--version', '1.0', '--json']);
    assert.equal(revoked.code, 0, revoked.stderr);
    const releases = (JSON.parse(revoked.stdout) as { releases: { version: string; revoked_at: string | null }[] }).releases;
    assert.ok(releases.find((r) => r.version === '1.0')?.revoked_at);
    assert.equal(releases.find((r) => r.version === '1.1')?.revoked_at, null);
  });

  it('bad usage is exit 2; a refused operation exit 1 with one line', async () => {
    assert.equal((await cli(['apps', 'register', 'com.example.catalog'])).code, 2, 'neither --file nor --digest');
    assert.equal(
      (await cli(['apps', 'register', 'com.example.catalog', '--file', artifact, '--digest', `sha256:${'12'.repeat(32)}`])).code,
      2,
    );
    assert.equal((await cli(['apps', 'register', 'com.example.catalog', '--file', join(dir, 'missing.apk')])).code, 2);
    const duplicate = await cli(['apps', 'register', 'com.example.catalog', '--file', artifact]);
    assert.equal(duplicate.code, 1);
    assert.equal(duplicate.stderr.trim().split('\n').length, 1);
    assert.match(duplicate.stderr, /conflict/);
  });
});

describe('portcullis policy', () => {
  const { cli } = useServer();

  it('shows the settings and changes one; a bad value is one line, exit 1', async () => {
    const shown = await cli(['policy', 'show', '--json']);
    assert.deepEqual(JSON.parse(shown.stdout), {
      'rejection-reasons': 'on',
      'software-evidence': 'on',
      'apple-development': 'off',
      'android-verified-boot': 'required',
      'android-strongbox': 'off',
      'android-min-patch-level': 'off',
      'challenge-rate-limit': '600',
    });
    const set = await cli(['policy', 'set', 'rejection-reasons', 'off']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /rejection-reasons\s*:?\s+off/);
    const bad = await cli(['policy', 'set', 'rejection-reasons', 'sometimes']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /takes on or off/);
  });
});
