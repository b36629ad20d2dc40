import { randomBytes } from 'node:crypto';
import { type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';
import { createScratchDatabase, POSTGRES_URL, REDIS_URL, type ScratchDatabase } from './open-test-database.ts';

/** Nodes behind one load balancer: a scratch PostgreSQL database, Redis, one master key and admin key. */
export interface SharedNodes {
  nodes: OAuthServer[];
  close(): Promise<void>;
}

/**
 * Starts `count` real servers sharing a fresh database (named after `prefix`) and Redis, as a
 * scaled-out deployment runs them. Callers skip when `SKIP_POSTGRES || SKIP_REDIS`.
 */
export async function startSharedNodes(prefix: string, count: number, env: Record<string, string> = {}): Promise<SharedNodes> {
  const database: ScratchDatabase = await createScratchDatabase(POSTGRES_URL as string, prefix);
  const shared = {
    PORTCULLIS_DATABASE_URL: database.url,
    PORTCULLIS_REDIS_URL: REDIS_URL as string,
    PORTCULLIS_MASTER_KEY: randomBytes(32).toString('hex'),
    PORTCULLIS_ADMIN_KEY: randomBytes(32).toString('base64url'),
    ...env,
  };
  const nodes: OAuthServer[] = [];
  const close = async () => {
    for (const node of nodes) await node.close();
    await database.drop();
  };
  try {
    for (let i = 0; i < count; i++) nodes.push(await startOAuthServer(shared));
  } catch (err) {
    await close();
    throw err;
  }
  return { nodes, close };
}

/** Polls `condition` every 20 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
