// The gateway benchmark's set-up: the helper processes (upstream, reference proxy) and, in a
// running Portcullis, the routes, app release, client, attestation and access tokens each target
// needs, checked once before anything is measured. bench/gateway.ts measures.
import { createHash, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ecdsaSigFormatter from 'ecdsa-sig-formatter';
import { CompactSign, calculateJwkThumbprint, decodeJwt, type JWK } from 'jose';
import { request } from 'undici';
import { type Started, spawnReady, withoutPortcullisEnv } from './processes.ts';

const APP = 'com.example.bench';
const RELEASE = `sha256:${'ab'.repeat(32)}`;
const helperScript = fileURLToPath(new URL('./gateway-upstream.ts', import.meta.url));

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');
const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

/** One thing loaded: where requests go, what they carry, and whose CPU counts as the server's. */
export interface Target {
  key: 'upstream' | 'proxy' | 'open' | 'bearer' | 'dpop';
  name: string;
  /** The process (tree) doing the measured hop. */
  pid: number;
  url: string;
  headers: Record<string, string>;
  /** A fresh DPoP proof for each request (e only). */
  proof?: () => string;
}

/** A DPoP proof signer for `key` (RFC 9449 §4.2), synchronous so autocannon can call it per request. */
function proofSigner(key: KeyObject, jwk: JWK) {
  const header = b64url(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk }));
  return (claims: Record<string, unknown>) => {
    const input = `${header}.${b64url(JSON.stringify({ jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims }))}`;
    // DER then r‖s: on Node 24, sign() with an options object costs twice as much (keys/jws-signature.ts).
    return `${input}.${ecdsaSigFormatter.derToJose(sign('sha256', Buffer.from(input), key), 'ES256')}`;
  };
}

export async function call(
  url: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown>;
}> {
  const res = await request(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, body: init.body ?? null });
  const text = await res.body.text();
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
  } catch {}
  return { status: res.statusCode, headers: res.headers, text, json };
}

export function str(o: Record<string, unknown>, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new Error(`${what} has no ${key}: ${JSON.stringify(o).slice(0, 300)}`);
  return v;
}

export async function startHelper(work: string, role: 'upstream' | 'proxy', upstreamUrl?: string) {
  const readyFile = join(work, `${role}-ready.json`);
  // BENCH_CPU_PROF=DIR profiles the reference proxy too, to set its hot spots beside Portcullis's.
  const dir = process.env.BENCH_CPU_PROF;
  const profile = dir && role === 'proxy' ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-name=proxy.cpuprofile'] : [];
  const started = await spawnReady(
    [...profile, helperScript, role, readyFile, ...(upstreamUrl ? [upstreamUrl] : [])],
    { ...withoutPortcullisEnv(), NODE_ENV: 'production' },
    readyFile,
  );
  return { started, url: str(started.ready, 'url', `the ${role} ready file`) };
}

/**
 * Routes, app release, client, attestation and access tokens in a running Portcullis; returns the
 * three gateway targets, each checked once to answer the upstream's body with 200.
 */
export async function setUpPortcullis(started: Started, adminKey: string, upstreamUrl: string, expected: string) {
  const base = str(started.ready, 'http', 'the Portcullis ready file');
  const issuer = str(started.ready, 'issuer', 'the Portcullis ready file');
  const pid = started.child.pid!;
  const admin = async (path: string, body: Record<string, unknown>) => {
    const res = await call(`${base}/admin/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`POST /admin/v1${path} answered ${res.status}: ${res.text.slice(0, 300)}`);
    return res.json;
  };
  const routes = {
    open: await admin('/apis', { match: '/open', upstream: upstreamUrl, auth: 'off', attestation: 'off' }),
    bearer: await admin('/apis', { match: '/bearer', upstream: upstreamUrl, binding: 'none' }),
    dpop: await admin('/apis', { match: '/dpop', upstream: upstreamUrl }),
  };
  await admin('/apps', { app_id: APP, digest: RELEASE });
  const client = await admin('/clients', {
    name: 'bench',
    type: 'confidential',
    grant_types: ['client_credentials'],
    scopes: ['read'],
    token_endpoint_auth_method: 'client_secret_basic',
  });
  // RFC 6749 §2.3.1: client id and secret are form-urlencoded before they are joined for Basic.
  const enc = (s: string) => new URLSearchParams({ s }).toString().slice(2);
  const credentials = `${enc(str(client, 'client_id', 'the created client'))}:${enc(str(client, 'client_secret', 'the created client'))}`;
  const basic = `Basic ${Buffer.from(credentials).toString('base64')}`;

  // One device key: it signs the attestation evidence, and every DPoP proof of (e).
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  const makeProof = proofSigner(privateKey, jwk);

  const challenge = await call(`${base}/attest/challenge`, { method: 'POST' });
  if (challenge.status !== 201) throw new Error(`POST /attest/challenge answered ${challenge.status}: ${challenge.text}`);
  const evidence = await new CompactSign(
    new TextEncoder().encode(
      JSON.stringify({
        nonce: str(challenge.json, 'challenge', 'the challenge'),
        app_id: APP,
        release: RELEASE,
        device_id: 'bench-device',
        platform: 'android',
        iat: Math.floor(Date.now() / 1000),
        signals: {},
      }),
    ),
  )
    .setProtectedHeader({ alg: 'ES256', typ: 'portcullis-evidence+jwt', jwk })
    .sign(privateKey);
  const attested = await call(`${base}/attest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ format: 'software', evidence }),
  });
  if (attested.status !== 200) throw new Error(`POST /attest answered ${attested.status}: ${attested.text.slice(0, 300)}`);
  const attestationToken = str(attested.json, 'attestation_token', 'the attestation answer');

  const tokenRequest = (dpop?: string) =>
    call(`${base}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: basic,
        'content-type': 'application/x-www-form-urlencoded',
        ...(dpop ? { dpop } : {}),
      },
      body: 'grant_type=client_credentials&scope=read',
    });
  const bearer = await tokenRequest();
  if (bearer.status !== 200) throw new Error(`bearer token request answered ${bearer.status}: ${bearer.text.slice(0, 300)}`);
  const bearerToken = str(bearer.json, 'access_token', 'the bearer token answer');
  const tokenHtu = `${issuer}/oauth/token`;
  let dpopAnswer = await tokenRequest(makeProof({ htm: 'POST', htu: tokenHtu }));
  const nonce = dpopAnswer.headers['dpop-nonce'];
  if (dpopAnswer.status === 400 && dpopAnswer.json.error === 'use_dpop_nonce' && typeof nonce === 'string')
    dpopAnswer = await tokenRequest(makeProof({ htm: 'POST', htu: tokenHtu, nonce }));
  if (dpopAnswer.status !== 200 || String(dpopAnswer.json.token_type).toLowerCase() !== 'dpop')
    throw new Error(`DPoP token request answered ${dpopAnswer.status}: ${dpopAnswer.text.slice(0, 300)}`);
  const dpopToken = str(dpopAnswer.json, 'access_token', 'the DPoP token answer');
  const dpopClaims = decodeJwt(dpopToken);
  if ((dpopClaims.cnf as { jkt?: unknown } | undefined)?.jkt !== jkt)
    throw new Error(`the DPoP access token is bound to ${JSON.stringify(dpopClaims.cnf)}, not the device key ${jkt}`);

  // Requests go to the bound address with the issuer's Host, so the gateway names them by the issuer (htu).
  const host = new URL(issuer).host;
  const attestation = { 'portcullis-attestation': attestationToken };
  const ath = sha256(dpopToken);
  const dpopHtu = `${issuer}/dpop/items`;
  const targets: Target[] = [
    { key: 'open', name: '(c) portcullis, no checks', pid, url: `${base}/open/items`, headers: { host } },
    {
      key: 'bearer',
      name: '(d) portcullis, bearer JWT + attestation',
      pid,
      url: `${base}/bearer/items`,
      headers: { host, authorization: `Bearer ${bearerToken}`, ...attestation },
    },
    {
      key: 'dpop',
      name: '(e) portcullis, DPoP JWT + attestation',
      pid,
      url: `${base}/dpop/items`,
      headers: { host, authorization: `DPoP ${dpopToken}`, ...attestation },
      proof: () => makeProof({ htm: 'GET', htu: dpopHtu, ath }),
    },
  ];
  for (const t of targets) {
    const res = await call(t.url, { headers: { ...t.headers, ...(t.proof ? { dpop: t.proof() } : {}) } });
    if (res.status !== 200 || res.text !== expected)
      throw new Error(`${t.name}: GET ${new URL(t.url).pathname} answered ${res.status}: ${res.text.slice(0, 500)}`);
  }

  const claims = {
    bearer: decodeJwt(bearerToken),
    dpop: dpopClaims,
    attestation: decodeJwt(attestationToken),
  };
  const expiresAt = Math.min(...Object.values(claims).map((c) => Number(c.exp)));
  return { issuer, base, targets, routes, claims, expiresAt, deviceJkt: jkt };
}
