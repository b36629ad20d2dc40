// Builds a whole app on a fresh data directory for the http/ and admin/ integration tests.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { Services } from '../../src/services.ts';

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  /** The bootstrap admin key (PORTCULLIS_ADMIN_KEY), role admin. */
  adminKey: string;
  /** Every log line the app wrote, in order. */
  logs: string[];
  /** Closes the app and removes its data directory; safe to call twice. */
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  /** The body parsed as JSON (undefined when empty). */
  json: unknown;
}

/** An app like `npm start` builds, with the cheapest argon2 cost the config allows. */
export async function startApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'portcullis-http-test-'));
  const adminKey = randomBytes(32).toString('base64url');
  const config = loadConfig({
    env: { PORTCULLIS_DATA_DIR: dataDir, PORTCULLIS_ADMIN_KEY: adminKey, PORTCULLIS_ARGON2_MEMORY_KIB: '19456', ...env },
  });
  const logs: string[] = [];
  const built = await buildApp(config, { logger: true, logStream: { write: (line: string) => void logs.push(line) } });
  let closed = false;
  return {
    app: built.app,
    services: built.services,
    adminKey,
    logs,
    async close() {
      if (closed) return;
      closed = true;
      await built.app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CallOptions {
  /** An admin key sent as `Authorization: Bearer`; `null` sends none. Defaults to the bootstrap key. */
  key?: string | null;
  /** Sent as JSON unless `raw` is set. */
  body?: unknown;
  /** A body sent as is, with `contentType`. */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** One request through `app.inject()`. */
export async function call(t: TestApp, method: string, url: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? t.adminKey : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  let payload: string | undefined;
  if (options.raw !== undefined) {
    payload = options.raw;
    headers['content-type'] = options.contentType ?? 'application/json';
  } else if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] = options.contentType ?? 'application/json';
  }
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(payload === undefined ? {} : { payload }),
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    body: res.body,
    json: res.body === '' ? undefined : safeParse(res.body),
  };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Admin API path. */
export const admin = (path: string) => `/admin/v1${path}`;

export interface ErrorBody {
  error: string;
  error_description: string;
}

/** The `{error, error_description}` body with `status` and `code`, and a non-empty sentence. */
export function errorOf(answer: Answer): ErrorBody {
  const body = answer.json as Partial<ErrorBody> | undefined;
  if (!body || typeof body.error !== 'string' || typeof body.error_description !== 'string' || body.error_description === '') {
    throw new Error(`not an error body (status ${answer.status}): ${answer.body}`);
  }
  return { error: body.error, error_description: body.error_description };
}

/** A JSON `{error, error_description}` answer with exactly this status and code. */
export function assertError(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, `expected ${status} ${code}, got ${answer.status}: ${answer.body}`);
  assert.equal(errorOf(answer).error, code);
  assert.match(String(answer.headers['content-type']), /^application\/json/);
}

/** Usernames in the directory, read from the service (the database), not the API under test. */
export async function usernames(t: TestApp): Promise<string[]> {
  return (await t.services.users.list(1000, 0)).map((u) => u.username);
}

/** Number of audit log rows, read from the database. */
export async function auditCount(t: TestApp): Promise<number> {
  const row = await t.services.database.db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
