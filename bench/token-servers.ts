// The two authorization servers of the token benchmark, each started as its own child process on
// loopback, with one confidential client-credentials client, described by a TokenServer.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, portcullisEnv, type Started, spawnReady, withoutPortcullisEnv } from './processes.ts';

const referenceScript = fileURLToPath(new URL('./reference-oidc-provider.ts', import.meta.url));

export interface TokenServer {
  name: string;
  pid: number;
  issuer: string;
  /** Token endpoint and JWKS on the loopback address the server is bound to. */
  tokenEndpoint: string;
  jwksUri: string;
  clientId: string;
  /** The client-credentials request: headers and form body. */
  headers: Record<string, string>;
  body: string;
  /** Last few KB of the process's stdout and stderr. */
  output(): string;
  stop(): Promise<{ code: number | null; signal: string | null }>;
}

/** RFC 6749 §2.3.1: client id and secret are form-urlencoded before they are joined for Basic. */
function basicAuth(id: string, secret: string): string {
  const enc = (s: string) => new URLSearchParams({ s }).toString().slice(2);
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = { raw: text.slice(0, 200) };
  }
  return { status: res.status, body: typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {} };
}

function str(o: Record<string, unknown>, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new Error(`${what} has no ${key}: ${JSON.stringify(o).slice(0, 300)}`);
  return v;
}

/**
 * Discovery, with the endpoints moved onto `base`: an issuer such as `http://localhost:PORT` may
 * resolve to ::1 first while the server listens on 127.0.0.1 only.
 */
async function discover(base: string) {
  const { status, body } = await getJson(`${base}/.well-known/openid-configuration`);
  if (status !== 200) throw new Error(`GET ${base}/.well-known/openid-configuration: ${status} ${JSON.stringify(body)}`);
  const onBase = (key: string) => {
    const u = new URL(str(body, key, 'the discovery document'));
    return `${base}${u.pathname}${u.search}`;
  };
  return {
    issuer: str(body, 'issuer', 'the discovery document'),
    tokenEndpoint: onBase('token_endpoint'),
    jwksUri: onBase('jwks_uri'),
  };
}

const FORM = 'application/x-www-form-urlencoded';
export const TOKEN_BODY = 'grant_type=client_credentials&scope=read';

/**
 * Finishes setting up a started server: `setUp` registers the client and returns the base URL and
 * its credentials. On failure the server is stopped and its last output joins the error.
 */
async function describeServer(
  name: string,
  started: Started,
  setUp: () => Promise<{ base: string; clientId: string; clientSecret: string }>,
): Promise<TokenServer> {
  try {
    const { base, clientId, clientSecret } = await setUp();
    return {
      name,
      pid: started.child.pid!,
      ...(await discover(base)),
      clientId,
      headers: { authorization: basicAuth(clientId, clientSecret), 'content-type': FORM },
      body: TOKEN_BODY,
      output: started.output,
      stop: started.stop,
    };
  } catch (err) {
    const output = started.output().trim();
    await started.stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}${output ? `\n--- ${name} output ---\n${output}` : ''}`);
  }
}

export async function startReference(work: string): Promise<TokenServer> {
  const clientId = 'bench';
  const clientSecret = randomBytes(32).toString('base64url');
  const started = await spawnReady(
    [referenceScript],
    {
      ...withoutPortcullisEnv(),
      NODE_ENV: 'production',
      DEBUG: '',
      READY_FILE: join(work, 'reference-ready.json'),
      REFERENCE_CLIENT_ID: clientId,
      REFERENCE_CLIENT_SECRET: clientSecret,
    },
    join(work, 'reference-ready.json'),
  );
  return describeServer('oidc-provider', started, async () => ({
    base: str(started.ready, 'url', 'the reference ready file'),
    clientId,
    clientSecret,
  }));
}

export async function startPortcullis(work: string, dataDir: string): Promise<TokenServer> {
  const adminKey = randomBytes(32).toString('base64url'); // 43 characters
  const readyFile = join(work, 'portcullis-ready.json');
  const started = await spawnReady(
    // BENCH_CPU_PROF=DIR writes a V8 CPU profile of the server there (for finding hot spots).
    [
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      cli,
      'serve',
      '--ready-file',
      readyFile,
    ],
    portcullisEnv(dataDir, { PORTCULLIS_ADMIN_KEY: adminKey }),
    readyFile,
  );
  return describeServer('portcullis', started, async () => {
    const base = str(started.ready, 'http', 'the Portcullis ready file');
    const created = await getJson(`${base}/admin/v1/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'bench',
        type: 'confidential',
        grant_types: ['client_credentials'],
        scopes: ['read'],
        token_endpoint_auth_method: 'client_secret_basic',
      }),
    });
    if (created.status !== 201) {
      throw new Error(`POST /admin/v1/clients answered ${created.status}: ${JSON.stringify(created.body).slice(0, 300)}`);
    }
    return {
      base,
      clientId: str(created.body, 'client_id', 'the created client'),
      clientSecret: str(created.body, 'client_secret', 'the created client'),
    };
  });
}
