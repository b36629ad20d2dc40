import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createRedisEventBus } from '../../src/events/index.ts';
import {
  createScratchDatabase,
  POSTGRES_URL,
  REDIS_URL,
  type ScratchDatabase,
  SKIP_POSTGRES,
  SKIP_REDIS,
} from '../db/open-test-database.ts';

function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (condition()) return resolve();
      if (Date.now() > deadline) return reject(new Error('condition not met in time'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe('Redis change-event bus', { skip: SKIP_REDIS }, () => {
  test('an event published on one node reaches the others once, and its own handlers once', async () => {
    const a = await createRedisEventBus(REDIS_URL!);
    const b = await createRedisEventBus(REDIS_URL!);
    try {
      const seenA: unknown[] = [];
      const seenB: unknown[] = [];
      const topic = `test.${randomBytes(4).toString('hex')}`;
      a.subscribe(topic, (p) => seenA.push(p));
      b.subscribe(topic, (p) => seenB.push(p));
      await a.publish(topic, { n: 1 });
      await waitFor(() => seenB.length === 1);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(seenA, [{ n: 1 }], 'the publisher handles its own event exactly once');
      assert.deepEqual(seenB, [{ n: 1 }]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('an unreachable Redis fails start-up clearly instead of hanging', async () => {
    await assert.rejects(createRedisEventBus('redis://127.0.0.1:1'), (err: unknown) => {
      return typeof (err as { code?: unknown }).code === 'string' || /connect/i.test(String(err));
    });
  });
});

describe('two nodes on PostgreSQL and Redis', { skip: SKIP_POSTGRES || SKIP_REDIS }, () => {
  const dirs: string[] = [];
  let database: ScratchDatabase | undefined;
  after(async () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await database?.drop();
  });

  test("a key rotation on one node reaches the other node's JWKS and signer without a restart", async () => {
    database = await createScratchDatabase(POSTGRES_URL!, 'portcullis_nodes');
    const url = database.url;
    const masterKey = randomBytes(32).toString('hex');
    const node = async () => {
      const dir = mkdtempSync(join(tmpdir(), 'portcullis-node-'));
      dirs.push(dir);
      const config = loadConfig({
        env: {
          PORTCULLIS_DATA_DIR: dir,
          PORTCULLIS_DATABASE_URL: url,
          PORTCULLIS_REDIS_URL: REDIS_URL,
          PORTCULLIS_MASTER_KEY: masterKey,
        },
      });
      return buildApp(config, { logger: false });
    };
    const [a, b] = await Promise.all([node(), node()]);
    try {
      const kids = async (x: typeof a) =>
        ((await x.app.inject('/.well-known/jwks.json')).json() as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
      assert.deepEqual(await kids(a), await kids(b), 'two nodes starting at once agree on one key set');
      assert.equal((await kids(a)).length, 2);
      const rotated = await a.services.signingKeys.rotate('token');
      await waitFor(() => b.services.signingKeys.current('token').kid === rotated.current);
      await waitFor(() => b.services.signingKeys.jwks('token').keys.length === 3);
      assert.deepEqual(await kids(b), await kids(a));
    } finally {
      await a.app.close();
      await b.app.close();
    }
  });
});
