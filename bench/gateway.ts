// Gateway benchmark: what Portcullis's API gateway costs per request. On loopback, in one run, with
// one upstream (bench/gateway-upstream.ts: a minimal node:http server answering small JSON), each
// target is loaded in turn by autocannon in this process at 64 connections, 10 s measured after a
// 2 s warm-up:
//   (a) the upstream directly;
//   (b) the reference: a bare undici proxy with no checks, in its own child process;
//   (c) Portcullis, a route with no checks (auth off, attestation off);
//   (d) Portcullis, bearer JWT + attestation token (binding none);
//   (e) Portcullis, DPoP-bound JWT + attestation token + a fresh DPoP proof on every request.
// Targets: (d) >= 85 % and (e) >= 45 % of (b)'s requests/s, each with a p99 at most 2 ms above (b)'s;
// Portcullis's resident set after the run < 200 MB. A run with any non-2xx answer, connection error
// or unexpected body is thrown away (it would measure error paths), and reported with a sample.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from 'autocannon';
import autocannon from 'autocannon';
import { CompactSign, calculateJwkThumbprint, decodeJwt, type JWK } from 'jose';
import { request } from 'undici';
import {
  cli,
  machineCpuSeconds,
  portcullisEnv,
  residentMiB,
  type Started,
  spawnReady,
  treeCpuSeconds,
  withoutPortcullisEnv,
} from './processes.ts';
import type { BenchReport, Cell } from './run.ts';

declare module 'autocannon' {
  interface RequestData {
    headers: Record<string, string>;
  }
  interface Options {
    /** Requests in turn; `setupRequest` rebuilds one before every send. */
    requests?: { setupRequest?: (req: RequestData) => RequestData }[];
  }
}

const CONNECTIONS = 64;
const WARMUP_S = 2;
const DURATION_S = 10;
const BEARER_RATIO = 0.85;
const DPOP_RATIO = 0.45;
const P99_SLACK_MS = 2;
const RSS_LIMIT_MB = 200;
const APP = 'com.example.bench';
const RELEASE = `sha256:${'ab'.repeat(32)}`;
const helperScript = fileURLToPath(new URL('./gateway-upstream.ts', import.meta.url));

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');
const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** One thing loaded: where requests go, what they carry, and whose CPU counts as the server's. */
interface Target {
  key: 'upstream' | 'proxy' | 'open' | 'bearer' | 'dpop';
  name: string;
  /** The process (tree) doing the measured hop. */
  pid: number;
  url: string;
  headers: Record<string, string>;
  /** A fresh DPoP proof for each request (e only). */
  proof?: () => string;
}

interface Run {
  target: string;
  requestsPerSec: number;
  /** Exact latencies (ms) of every response, from autocannon's per-response timings. */
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  statusCodes: Record<string, number>;
  /** CPU use over the measured run, in % of one core. */
  serverCpuPct: number;
  upstreamCpuPct: number;
  loadGenCpuPct: number;
  /** Everything else on the machine, the upstream included when it is not the measured server. */
  otherCpuPct: number;
  requestsPerServerCpuSecond: number;
  autocannon: { requests: Result['requests']; latency: Result['latency']; duration: number; total2xx: number };
  warmup: { requests: number; non2xx: number; errors: number; mismatches: number };
  /** The first bad answer or error seen, if any (warm-up or measured). */
  sample?: string;
}

/** A DPoP proof signer for `key` (RFC 9449 §4.2), synchronous so autocannon can call it per request. */
function proofSigner(key: KeyObject, jwk: JWK) {
  const header = b64url(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk }));
  return (claims: Record<string, unknown>) => {
    const input = `${header}.${b64url(JSON.stringify({ jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims }))}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
}

async function call(
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

function str(o: Record<string, unknown>, key: string, what: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new Error(`${what} has no ${key}: ${JSON.stringify(o).slice(0, 300)}`);
  return v;
}

async function load(target: Target, duration: number, expected: string, latencies?: number[]) {
  const proof = target.proof;
  let sample: string | undefined;
  const instance = autocannon({
    url: target.url,
    headers: target.headers,
    connections: CONNECTIONS,
    duration,
    verifyBody: (body) => body === expected,
    ...(proof
      ? {
          requests: [
            {
              setupRequest: (req) => {
                req.headers.dpop = proof();
                return req;
              },
            },
          ],
        }
      : {}),
  });
  // autocannon reports a response, then (synchronously, same response) a body that fails verifyBody.
  let lastStatus = 0;
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies?.push(ms);
    lastStatus = status;
  });
  instance.on('reqMismatch', (body: string) => {
    sample ??= `${lastStatus} ${body.slice(0, 300)}`;
  });
  instance.on('reqError', (err: unknown) => {
    sample ??= `error: ${err instanceof Error ? err.message : String(err)}`;
  });
  const result = await instance;
  return { result, sample };
}

async function measure(target: Target, upstreamPid: number, expected: string): Promise<Run> {
  const warm = await load(target, WARMUP_S, expected);
  const latencies: number[] = [];
  const cpu0 = treeCpuSeconds(target.pid);
  const up0 = treeCpuSeconds(upstreamPid);
  const all0 = machineCpuSeconds();
  const gen0 = process.cpuUsage();
  const t0 = performance.now();
  const { result: r, sample } = await load(target, DURATION_S, expected, latencies);
  const wall = (performance.now() - t0) / 1000;
  const gen = process.cpuUsage(gen0);
  const serverCpuPct = ((treeCpuSeconds(target.pid) - cpu0) / wall) * 100;
  const upstreamCpuPct = ((treeCpuSeconds(upstreamPid) - up0) / wall) * 100;
  const loadGenCpuPct = ((gen.user + gen.system) / 1e6 / wall) * 100;
  const machineCpuPct = ((machineCpuSeconds() - all0) / wall) * 100;
  const sorted = Float64Array.from(latencies).sort();
  const w = warm.result;
  return {
    target: target.name,
    requestsPerSec: r.requests.average,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    mismatches: r.mismatches,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, Number(v.count)])),
    serverCpuPct,
    upstreamCpuPct,
    loadGenCpuPct,
    otherCpuPct: Math.max(0, machineCpuPct - serverCpuPct - loadGenCpuPct),
    requestsPerServerCpuSecond: r.requests.total / ((serverCpuPct / 100) * wall),
    autocannon: { requests: r.requests, latency: r.latency, duration: r.duration, total2xx: r['2xx'] },
    warmup: { requests: w.requests.total, non2xx: w.non2xx, errors: w.errors, mismatches: w.mismatches },
    ...((warm.sample ?? sample) ? { sample: warm.sample ?? sample } : {}),
  };
}

const invalidity = (r: Run) =>
  [
    r.non2xx + r.warmup.non2xx > 0 && `${r.non2xx + r.warmup.non2xx} non-2xx (${JSON.stringify(r.statusCodes)})`,
    r.errors + r.warmup.errors > 0 && `${r.errors + r.warmup.errors} errors (${r.timeouts} timeouts)`,
    r.mismatches + r.warmup.mismatches > 0 && `${r.mismatches + r.warmup.mismatches} responses that are not the upstream's body`,
  ].filter((x): x is string => typeof x === 'string');

/** Starts `bench/gateway-upstream.ts ROLE` and returns it with the URL it listens on. */
async function startHelper(work: string, role: 'upstream' | 'proxy', upstreamUrl?: string) {
  const readyFile = join(work, `${role}-ready.json`);
  const started = await spawnReady(
    [helperScript, role, readyFile, ...(upstreamUrl ? [upstreamUrl] : [])],
    { ...withoutPortcullisEnv(), NODE_ENV: 'production' },
    readyFile,
  );
  return { started, url: str(started.ready, 'url', `the ${role} ready file`) };
}

/**
 * Routes, app release, client, attestation and access tokens in a running Portcullis; returns the
 * three gateway targets, each checked once to answer the upstream's body with 200.
 */
async function setUpPortcullis(started: Started, adminKey: string, upstreamUrl: string, expected: string) {
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

export async function gateway(): Promise<BenchReport> {
  const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-gateway-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-gateway-data-'));
  const processes: Started[] = [];
  try {
    const upstream = await startHelper(work, 'upstream');
    processes.push(upstream.started);
    const proxy = await startHelper(work, 'proxy', upstream.url);
    processes.push(proxy.started);
    const adminKey = randomBytes(32).toString('base64url');
    const readyFile = join(work, 'portcullis-ready.json');
    // BENCH_CPU_PROF=DIR writes a V8 CPU profile of the Portcullis process there (for finding hot spots).
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const portcullis = await spawnReady(
      [...profile, cli, 'serve', '--ready-file', readyFile],
      portcullisEnv(dataDir, { PORTCULLIS_ADMIN_KEY: adminKey }),
      readyFile,
    );
    processes.push(portcullis);

    const direct = await call(`${upstream.url}/items`);
    if (direct.status !== 200) throw new Error(`the upstream answered ${direct.status}`);
    const expected = direct.text;
    const viaProxy = await call(`${proxy.url}/items`);
    if (viaProxy.status !== 200 || viaProxy.text !== expected)
      throw new Error(`the reference proxy answered ${viaProxy.status}: ${viaProxy.text.slice(0, 300)}`);
    const setup = await setUpPortcullis(portcullis, adminKey, upstream.url, expected).catch((err: unknown) => {
      const output = portcullis.output().trim();
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}${output ? `\n--- portcullis output ---\n${output}` : ''}`,
      );
    });
    const targets: Target[] = [
      {
        key: 'upstream',
        name: '(a) upstream direct',
        pid: upstream.started.child.pid!,
        url: `${upstream.url}/items`,
        headers: {},
      },
      { key: 'proxy', name: '(b) bare undici proxy', pid: proxy.started.child.pid!, url: `${proxy.url}/items`, headers: {} },
      ...setup.targets,
    ];
    const needed = Math.ceil(Date.now() / 1000) + targets.length * (WARMUP_S + DURATION_S) + 30;
    if (setup.expiresAt < needed)
      throw new Error(`the tokens expire at ${setup.expiresAt}, before the runs would end (${needed}); lengthen their lifetime`);

    const runs: Run[] = [];
    // BENCH_ONLY=c,e measures only those targets (while investigating one of them).
    const only = process.env.BENCH_ONLY?.split(',');
    for (const target of targets) {
      if (only && !only.some((o) => target.name.startsWith(`(${o})`))) continue;
      runs.push(await measure(target, upstream.started.child.pid!, expected));
    }
    const memory = residentMiB(portcullis.child.pid!);

    const invalid = runs.flatMap((r) =>
      invalidity(r).map((why) => `${r.target}: ${why}${r.sample ? `; first: ${r.sample}` : ''}`),
    );
    if (invalid.length > 0) {
      const figures = runs.map(
        (r) => `${r.target}: ${fmt(r.requestsPerSec, 0)} req/s, p99 ${fmt(r.p99, 2)} ms, codes ${JSON.stringify(r.statusCodes)}`,
      );
      throw new Error(`invalid measurement (error responses measured):\n  ${invalid.join('\n  ')}\n  ${figures.join('\n  ')}`);
    }

    const ref = runs[1]!;
    const goals: Record<string, number> = { bearer: BEARER_RATIO, dpop: DPOP_RATIO };
    const rows: Cell[][] = [];
    const missed: string[] = [];
    for (const [i, r] of runs.entries()) {
      const key = targets[i]!.key;
      const ratio = r.requestsPerSec / ref.requestsPerSec;
      const goal = goals[key];
      let target = '';
      let result = '';
      if (goal !== undefined) {
        const fast = ratio >= goal;
        const tail = r.p99 <= ref.p99 + P99_SLACK_MS;
        if (!fast) missed.push(`${r.target}: ${fmt(ratio * 100, 0)} % of (b)'s req/s < ${fmt(goal * 100, 0)} %`);
        if (!tail) missed.push(`${r.target}: p99 ${fmt(r.p99, 2)} ms > (b) ${fmt(ref.p99, 2)} + ${P99_SLACK_MS} ms`);
        target = `>= ${fmt(goal * 100, 0)} %, p99 <= ${fmt(ref.p99 + P99_SLACK_MS, 2)}`;
        result = fast && tail ? 'pass' : 'FAIL';
      }
      rows.push([
        r.target,
        fmt(r.requestsPerSec, 0),
        `${fmt(ratio * 100, 0)} %`,
        fmt(r.p50, 2),
        fmt(r.p99, 2),
        r.non2xx,
        r.errors,
        `${fmt(r.serverCpuPct, 0)} / ${fmt(r.loadGenCpuPct, 0)} / ${fmt(r.otherCpuPct, 0)}`,
        fmt(r.requestsPerServerCpuSecond, 0),
        target,
        result,
      ]);
    }
    const small = memory.rss < RSS_LIMIT_MB;
    if (!small) missed.push(`Portcullis RSS ${fmt(memory.rss, 1)} MB >= ${RSS_LIMIT_MB} MB`);
    rows.push([
      `portcullis RSS after the runs: ${fmt(memory.rss, 1)} MB (peak ${fmt(memory.peak, 1)})`,
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      `< ${RSS_LIMIT_MB} MB`,
      small ? 'pass' : 'FAIL',
    ]);

    return {
      columns: [
        'target',
        'req/s',
        'vs (b)',
        'p50 (ms)',
        'p99 (ms)',
        'non-2xx',
        'errors',
        'CPU % srv / gen / other',
        'req / srv CPU-s',
        'target',
        'result',
      ],
      rows,
      missed,
      data: {
        connections: CONNECTIONS,
        warmupSeconds: WARMUP_S,
        durationSeconds: DURATION_S,
        request: {
          method: 'GET',
          paths: Object.fromEntries(targets.map((t) => [t.key, new URL(t.url).pathname])),
          headers: Object.fromEntries(
            targets.map((t) => [t.key, [...Object.keys(t.headers), ...(t.proof ? ['dpop (fresh per request)'] : [])]]),
          ),
          responseBody: expected,
        },
        issuer: setup.issuer,
        routes: setup.routes,
        tokenClaims: setup.claims,
        deviceJkt: setup.deviceJkt,
        portcullisMemoryMB: memory,
        notes: [
          'req/s: autocannon requests.average; p50/p99: exact, from every response timing of the measured run',
          `CPU %: of one core over the measured run (${cpus().length} cores in all); srv = the measured hop's process tree (the upstream in (a), the proxy in (b), Portcullis in (c)-(e)), gen = this process (autocannon, and the DPoP proofs of (e)), other = the rest of the machine, the upstream included in (b)-(e) (upstreamCpuPct in runs)`,
          'memory: VmRSS and VmHWM of the Portcullis process from /proc/<pid>/status after the last run',
        ],
        runs,
      },
    };
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    rmSync(work, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}
