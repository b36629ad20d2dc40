import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import { type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('app releases (admin API)', () => {
  let server: OAuthServer;
  before(async () => {
    server = await startOAuthServer();
  });
  after(() => server.close());
  const admin = (method: string, path: string, body?: unknown, key?: string) => server.adminRequest(method, path, body, key);

  it('registers releases by digest, refuses duplicates and malformed input, and revokes by version', async () => {
    const first = await admin('POST', '/apps', { app_id: 'com.example.catalog', digest: DIGEST, version: '1.0' });
    assert.equal(first.status, 201);
    const body = (await first.json()) as { digest: string; revoked_at: string | null };
    assert.equal(body.digest, DIGEST);
    assert.equal(body.revoked_at, null);
    assert.equal(
      (await admin('POST', '/apps', { app_id: 'com.example.catalog', digest: DIGEST.toUpperCase().replace('SHA256', 'sha256') }))
        .status,
      409,
      'the same digest twice',
    );
    await admin('POST', '/apps', { app_id: 'com.example.catalog', digest: `sha256:${'cd'.repeat(32)}`, version: '1.1' });
    for (const bad of [
      { app_id: 'com.example.catalog', digest: 'md5:abc' },
      { app_id: '../etc', digest: DIGEST },
      { app_id: 'x', digest: DIGEST, extra: 1 },
    ]) {
      assert.equal((await admin('POST', '/apps', bad)).status, 400, JSON.stringify(bad));
    }
    const revoked = await admin('POST', '/apps/com.example.catalog/revoke', { version: '1.0' });
    assert.equal(revoked.status, 200);
    const { releases } = (await revoked.json()) as { releases: { version: string; revoked_at: string | null }[] };
    assert.ok(releases.find((r) => r.version === '1.0')?.revoked_at);
    assert.equal(releases.find((r) => r.version === '1.1')?.revoked_at, null, 'other versions stay');
    const live = await server.built.services.attestation.releases.findLive('com.example.catalog', 'ab'.repeat(32));
    assert.equal(live, null, 'a revoked release no longer matches');
    assert.equal((await admin('POST', '/apps/com.example.unknown/revoke', {})).status, 404);
    const audit = (await (await admin('GET', '/audit')).json()) as { entries: { action: string }[] };
    assert.ok(audit.entries.some((e) => e.action === 'apps.register') && audit.entries.some((e) => e.action === 'apps.revoke'));
  });

  it('an auditor may list but not register', async () => {
    const { key } = (await (await admin('POST', '/admin-keys', { role: 'auditor' })).json()) as { key: string };
    assert.equal((await admin('GET', '/apps', undefined, key)).status, 200);
    assert.equal((await admin('POST', '/apps', { app_id: 'com.example.x', digest: DIGEST }, key)).status, 403);
  });
});

describe('attestation challenges', () => {
  let server: OAuthServer;
  before(async () => {
    server = await startOAuthServer();
  });
  after(() => server.close());
  const issue = async () => {
    const res = await fetch(`${server.issuer}/attest/challenge`, { method: 'POST' });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    return (await res.json()) as { challenge: string; expires_in: number };
  };

  it('are at least 128 random bits, live 60 s at most, and are spent once even in parallel', async () => {
    const { challenge, expires_in } = await issue();
    assert.ok(Buffer.from(challenge, 'base64url').length >= 16);
    assert.ok(expires_in <= 60);
    const { challenges } = server.built.services.attestation;
    const results = await Promise.all([
      challenges.consume(challenge),
      challenges.consume(challenge),
      challenges.consume(challenge),
    ]);
    assert.deepEqual(results.sort(), ['fresh', 'reused', 'reused'], 'exactly one consumer wins');
    assert.equal(await challenges.consume(challenge), 'reused');
    assert.equal(await challenges.consume('never-issued'), 'unknown');
    assert.equal(await challenges.consume(''), 'unknown');
  });

  it('spent together in one turn, each of many challenges is fresh once and reused after', async () => {
    const issued = (await Promise.all(Array.from({ length: 40 }, () => issue()))).map((c) => c.challenge);
    const { challenges } = server.built.services.attestation;
    // Every challenge twice (the copies interleaved), plus a forged one, all in the same turn.
    const order = [...issued, 'never-issued', ...[...issued].reverse()];
    const uses = await Promise.all(order.map((c) => challenges.consume(c)));
    const byChallenge = new Map<string, string[]>();
    for (const [i, c] of order.entries()) byChallenge.set(c, [...(byChallenge.get(c) ?? []), uses[i] as string]);
    assert.deepEqual(byChallenge.get('never-issued'), ['unknown']);
    for (const c of issued)
      assert.deepEqual(byChallenge.get(c), ['fresh', 'reused'], 'the first spend wins, the copy is refused');
    const again = await Promise.all(issued.map((c) => challenges.consume(c)));
    assert.ok(again.every((u) => u === 'reused'));
  });

  it("spent together, each seal is stored with its own challenge's expiry", async () => {
    const { challenges } = server.built.services.attestation;
    // Challenges issued a second apart in the last 12 s, so each has an expiry of its own (and all
    // expire within the minute the next test waits for).
    const start = Date.now() - 12_000;
    const issued: string[] = [];
    try {
      for (let i = 0; i < 12; i++) {
        mock.timers.enable({ apis: ['Date'], now: start + i * 1000 });
        issued.push(challenges.issue().challenge);
        mock.timers.reset();
      }
    } finally {
      mock.timers.reset();
    }
    assert.deepEqual(await Promise.all(issued.map((c) => challenges.consume(c))), Array(12).fill('fresh'));
    // A challenge is version (1) ‖ expiry in Unix seconds (4) ‖ random (32) ‖ seal (16).
    const sealed = issued.map((c) => {
      const bytes = Buffer.from(c, 'base64url');
      return { tag: bytes.subarray(37).toString('base64url'), expires_at: bytes.readUInt32BE(1) * 1000 };
    });
    const rows = await server.built.services.database.db
      .selectFrom('attestation_spent_challenges')
      .select(['tag', 'expires_at'])
      .where(
        'tag',
        'in',
        sealed.map((s) => s.tag),
      )
      .execute();
    const stored = new Map(rows.map((r) => [r.tag, Number(r.expires_at)]));
    assert.equal(new Set(sealed.map((s) => s.expires_at)).size, 12);
    for (const s of sealed) assert.equal(stored.get(s.tag), s.expires_at);
  });

  it('issuing stores nothing; spending one stores its seal until it would have expired', async () => {
    const spent = async () =>
      Number(
        (
          await server.built.services.database.db
            .selectFrom('attestation_spent_challenges')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await spent();
    const issued = await Promise.all(Array.from({ length: 20 }, () => issue()));
    assert.equal(await spent(), before);
    const { challenges } = server.built.services.attestation;
    assert.equal(await challenges.consume((issued[0] as { challenge: string }).challenge), 'fresh');
    assert.equal(await spent(), before + 1);
    mock.timers.enable({ apis: ['Date'], now: Date.now() + 60_001 });
    try {
      await challenges.deleteExpired();
    } finally {
      mock.timers.reset();
    }
    // A minute on, every seal spent so far (this one, and the earlier tests') has expired.
    assert.equal(await spent(), 0);
  });

  it('refuse a challenge altered in any byte, re-encoded, or sealed by another server', async () => {
    const { challenges } = server.built.services.attestation;
    const { challenge } = await issue();
    const bytes = Buffer.from(challenge, 'base64url');
    for (let i = 0; i < bytes.length; i++) {
      const altered = Buffer.from(bytes);
      altered[i] = (altered[i] as number) ^ 1;
      assert.equal(await challenges.consume(altered.toString('base64url')), 'unknown', `byte ${i} flipped`);
    }
    // A later expiry written in: the seal no longer matches.
    const extended = Buffer.from(bytes);
    extended.writeUInt32BE(extended.readUInt32BE(1) + 3600, 1);
    assert.equal(await challenges.consume(extended.toString('base64url')), 'unknown');
    // The same bytes in standard base64, or with padding: not the challenge as issued.
    assert.equal(await challenges.consume(bytes.toString('base64')), 'unknown');
    assert.equal(await challenges.consume(`${challenge.slice(0, -1)}=`), 'unknown');
    const other = await startOAuthServer();
    try {
      const res = await fetch(`${other.issuer}/attest/challenge`, { method: 'POST' });
      const foreign = ((await res.json()) as { challenge: string }).challenge;
      assert.equal(await challenges.consume(foreign), 'unknown');
    } finally {
      await other.close();
    }
    assert.equal(await challenges.consume(challenge), 'fresh', 'the genuine one is still good');
  });

  it('expire after 60 seconds', async () => {
    const { challenge } = await issue();
    const { challenges } = server.built.services.attestation;
    mock.timers.enable({ apis: ['Date'], now: Date.now() + 60_001 });
    try {
      assert.equal(await challenges.consume(challenge), 'unknown');
    } finally {
      mock.timers.reset();
    }
  });

  it('are limited per client address by the policy challenge-rate-limit (600 a minute by default)', async () => {
    const admin = (key: string, value: string) => server.adminRequest('PUT', `/policy/${key}`, { value });
    const policy = (await (await server.adminRequest('GET', '/policy')).json()) as Record<string, string>;
    assert.equal(policy['challenge-rate-limit'], '600');
    assert.equal((await admin('challenge-rate-limit', '0')).status, 400);
    assert.equal((await admin('challenge-rate-limit', 'many')).status, 400);
    // A fresh minute's window may open mid-test; two windows' worth is still far below 2 × 40.
    assert.equal((await admin('challenge-rate-limit', '20')).status, 200);
    try {
      const statuses: number[] = [];
      let refused: Response | undefined;
      for (let i = 0; i < 41; i++) {
        const res = await fetch(`${server.issuer}/attest/challenge`, { method: 'POST' });
        statuses.push(res.status);
        if (res.status === 429) refused ??= res;
        else await res.body?.cancel();
      }
      assert.ok(refused, 'some challenges are refused');
      assert.ok(statuses.filter((s) => s === 201).length <= 40);
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      assert.deepEqual(await refused.json(), {
        error: 'rate_limited',
        error_description: 'too many attestation challenges from this address; try again later',
      });
      assert.equal((await admin('challenge-rate-limit', 'off')).status, 200);
      await issue();
    } finally {
      await admin('challenge-rate-limit', '600');
    }
  });
});
