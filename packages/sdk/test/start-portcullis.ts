import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ReadyInfo } from '@portcullis/protocol';

// The SDK is tested against the real server, started as users start it (`portcullis serve`), on
// free ports with a fresh data directory.

const BIN = fileURLToPath(new URL('../../cli/bin/portcullis.js', import.meta.url));

export interface Portcullis {
  ready: ReadyInfo;
  issuer: string;
  adminKey: string;
  /** The PEM of the server's generated local CA, when it serves HTTPS. */
  caPem: string | null;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForReady(file: string, child: ChildProcess, stderr: () => string): Promise<ReadyInfo> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`portcullis serve exited with ${child.exitCode}: ${stderr()}`);
    try {
      return JSON.parse(await readFile(file, 'utf8')) as ReadyInfo;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`portcullis serve was not ready within 30 s: ${stderr()}`);
}

/**
 * `portcullis serve` on free ports. With `https`, the issuer is `https://localhost:PORT` (the
 * generated certificate names localhost) so the pin set pins the server's own key for `localhost`.
 */
export async function startPortcullis(options: { https?: boolean } = {}): Promise<Portcullis> {
  const dataDir = await mkdtemp(join(tmpdir(), 'portcullis-sdk-test-'));
  const readyFile = join(dataDir, 'ready.json');
  const adminKey = randomBytes(32).toString('base64url');
  const httpsPort = options.https ? await freePort() : null;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('PORTCULLIS_') && value !== undefined) env[name] = value;
  }
  const child = spawn(process.execPath, [BIN, 'serve', '--ready-file', readyFile], {
    env: {
      ...env,
      PORTCULLIS_DATA_DIR: dataDir,
      PORTCULLIS_HTTP_PORT: '0',
      PORTCULLIS_HTTPS_PORT: httpsPort === null ? 'off' : String(httpsPort),
      ...(httpsPort === null ? {} : { PORTCULLIS_PUBLIC_URL: `https://localhost:${httpsPort}` }),
      PORTCULLIS_MQTT_PORT: 'off',
      PORTCULLIS_MQTTS_PORT: 'off',
      PORTCULLIS_LOG_LEVEL: 'warn',
      PORTCULLIS_ADMIN_KEY: adminKey,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let ready: ReadyInfo;
  try {
    ready = await waitForReady(readyFile, child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
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
      child.kill('SIGTERM');
      await exited;
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
