import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientView } from '@portcullis/protocol';
import { type BuildAppOptions, buildApp, type PortcullisApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';

export interface OAuthServer {
  built: PortcullisApp;
  /** http://127.0.0.1:PORT — also the issuer. */
  issuer: string;
  adminKey: string;
  logs: string[];
  /** A request to the admin API as the bootstrap admin, or as `key`; a body is sent as JSON. */
  adminRequest(method: string, path: string, body?: unknown, key?: string): Promise<Response>;
  createClient(body: Record<string, unknown>): Promise<ClientView & { client_secret?: string }>;
  createUser(username: string, password: string): Promise<{ id: string }>;
  close(): Promise<void>;
}

/**
 * The real app on an ephemeral loopback port with a fresh data directory, so that clients
 * nobody here wrote (openid-client, oauth4webapi) can talk to it over HTTP. `build` passes
 * test-only options to `buildApp` (attestation trust anchors). The Android revocation status list
 * is off unless `env` names one, so no test reaches for Google's copy.
 */
export async function startOAuthServer(
  env: Record<string, string> = {},
  build: Pick<BuildAppOptions, 'attestationRoots'> = {},
): Promise<OAuthServer> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-oauth-'));
  // Nodes sharing one database share the bootstrap admin key too.
  const adminKey = env.PORTCULLIS_ADMIN_KEY ?? randomBytes(32).toString('base64url');
  const config = loadConfig({
    env: {
      PORTCULLIS_DATA_DIR: dir,
      PORTCULLIS_ADMIN_KEY: adminKey,
      PORTCULLIS_HTTP_PORT: '0',
      PORTCULLIS_ANDROID_REVOCATION_LIST: 'off',
      ...env,
    },
  });
  const logs: string[] = [];
  const built = await buildApp(config, { ...build, logger: true, logStream: { write: (line: string) => logs.push(line) } });
  await built.app.listen({ host: '127.0.0.1', port: 0 });
  const issuer = `http://127.0.0.1:${(built.app.server.address() as AddressInfo).port}`;
  built.setPublicUrl(issuer);
  const adminRequest = (method: string, path: string, body?: unknown, key = adminKey): Promise<Response> =>
    fetch(`${issuer}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const admin = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await adminRequest('POST', path, body);
    const json = await res.json();
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json as T;
  };
  return {
    built,
    issuer,
    adminKey,
    logs,
    adminRequest,
    createClient: (body) => admin<ClientView & { client_secret?: string }>('/clients', body),
    createUser: (username, password) => admin<{ id: string }>('/users', { username, password }),
    close: async () => {
      await built.app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** POSTs a form to one of the server's endpoints and returns status, headers and parsed JSON. */
export async function postForm(
  url: string,
  params: Record<string, string | string[]>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return answer(res);
}

export interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown> | null;
  text: string;
}

/** Status, headers, the body text, and the body as a JSON object (null when empty or not JSON). */
export async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : null;
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, json, text };
}

export function basic(id: string, secret: string): Record<string, string> {
  // RFC 6749 §2.3.1: form-urlencode each part, then Base64.
  const enc = (s: string) => encodeURIComponent(s).replaceAll('%20', '+');
  return { authorization: `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}` };
}
