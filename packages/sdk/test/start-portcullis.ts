import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, spawnServer } from '@portcullis/cli/spawn';
import type { ReadyInfo } from '@portcullis/protocol';

// The SDK is tested against the real server, started as users start it (`portcullis serve`), on
// free ports with a fresh data directory.

export interface Portcullis {
  ready: ReadyInfo;
  issuer: string;
  adminKey: string;
  /** The PEM of the server's generated local CA, when it serves HTTPS. */
  caPem: string | null;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/**
 * `portcullis serve` on free ports. With `https`, the issuer is `https://localhost:PORT` (the
 * generated certificate names localhost) so the pin set pins the server's own key for `localhost`.
 */
export async function startPortcullis(options: { https?: boolean } = {}): Promise<Portcullis> {
  const dataDir = await mkdtemp(join(tmpdir(), 'portcullis-sdk-test-'));
  const adminKey = randomBytes(32).toString('base64url');
  const httpsPort = options.https ? await findFreePort() : null;
  let output = '';
  const server = await spawnServer({
    dataDir,
    port: 0,
    adminKey,
    logLevel: 'warn',
    log: (line) => {
      output += `${line}\n`;
    },
    ...(httpsPort === null ? {} : { httpsPort, publicUrl: `https://localhost:${httpsPort}` }),
  }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  const { ready } = server;
  const caPem = ready.ca_cert ? await readFile(ready.ca_cert, 'utf8') : null;
  return {
    ready,
    issuer: ready.issuer,
    adminKey,
    caPem,
    async admin(method, path, body) {
      // Over plain HTTP on loopback, whatever the issuer is: the admin API is the test's side door.
      const response = await fetch(`${ready.http}/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    async stop() {
      await server.stop();
      assert.doesNotMatch(output, /"level":(50|60)/, `the server logged errors:\n${output}`);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** An admin call that must succeed. */
export async function adminOk(
  server: Portcullis,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const answer = await server.admin(method, path, body);
  assert.ok(answer.status >= 200 && answer.status < 300, `${method} ${path}: ${answer.status} ${JSON.stringify(answer.json)}`);
  return answer.json;
}
