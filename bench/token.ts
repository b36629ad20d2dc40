// Token benchmark: client-credentials issuance of ES256 JWT access tokens by Portcullis and by
// oidc-provider (bench/reference-oidc-provider.ts), each in its own child process on loopback,
// loaded in turn by autocannon running in this process, at 10 and 64 connections.
// Target: Portcullis >= 2x the reference's requests/s with a p99 no worse than the reference's.
// A run with any non-2xx answer, connection error or malformed body is thrown away (it would
// measure error paths), and so is one whose first token does not verify against the JWKS.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { invalidity, type LoadFigures, measureLoad } from './measure-load.ts';
import { fmt } from './processes.ts';
import type { BenchReport, Cell } from './run.ts';
import { startPortcullis, startReference, type TokenServer } from './token-servers.ts';

const CONNECTIONS = [10, 64];
const WARMUP_S = 2;
const DURATION_S = 10;
const ROUNDS = 3;
const TARGET_RATIO = 2;

/** Fetches one token and checks it the way a resource server would (RFC 9068). */
export async function verifyOneToken(server: TokenServer) {
  const res = await fetch(server.tokenEndpoint, { method: 'POST', headers: server.headers, body: server.body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${server.name}: token endpoint answered ${res.status}: ${text.slice(0, 300)}`);
  const body: unknown = JSON.parse(text);
  if (typeof body !== 'object' || body === null || !('access_token' in body) || typeof body.access_token !== 'string')
    throw new Error(`${server.name}: no access_token in ${text.slice(0, 300)}`);
  const tokenType = 'token_type' in body ? String(body.token_type) : '';
  if (tokenType.toLowerCase() !== 'bearer') throw new Error(`${server.name}: token_type is ${tokenType}, not Bearer`);
  const jwks: unknown = await (await fetch(server.jwksUri)).json();
  if (typeof jwks !== 'object' || jwks === null || !('keys' in jwks) || !Array.isArray(jwks.keys))
    throw new Error(`${server.name}: ${server.jwksUri} is not a JWK set`);
  const { payload, protectedHeader } = await jwtVerify(body.access_token, createLocalJWKSet({ keys: jwks.keys }), {
    algorithms: ['ES256'],
    typ: 'at+jwt',
    issuer: server.issuer,
    requiredClaims: ['exp', 'iat', 'jti', 'sub', 'aud', 'client_id'],
  }).catch((err: unknown) => {
    throw new Error(`${server.name}: the access token does not verify: ${err instanceof Error ? err.message : String(err)}`);
  });
  if (payload.client_id !== server.clientId)
    throw new Error(`${server.name}: client_id claim ${String(payload.client_id)}, expected ${server.clientId}`);
  return { protectedHeader, payload, response: { ...body, access_token: `${body.access_token.length} chars` } };
}

// A response whose body is not a JWT access token response counts as a mismatch (autocannon checks every one).
const looksLikeToken = (body: string) => /"access_token"\s*:\s*"eyJ/.test(body);

interface Run extends LoadFigures {
  server: string;
  connections: number;
  round?: number;
}

/** The run with the median throughput (of an odd number of rounds). */
function medianRun(rounds: Run[]): Run {
  const sorted = [...rounds].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
  return sorted[Math.floor(sorted.length / 2)] as Run;
}

const roundsOf = (runs: Run[], server: string, connections: number) =>
  runs
    .filter((r) => r.server === server && r.connections === connections)
    .map((r) => fmt(r.requestsPerSec, 0))
    .join(' / ');

async function load(server: TokenServer, connections: number, duration: number, latencies?: number[]) {
  const instance = autocannon({
    url: server.tokenEndpoint,
    method: 'POST',
    headers: server.headers,
    body: server.body,
    connections,
    duration,
    verifyBody: looksLikeToken,
  });
  if (latencies) {
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      latencies.push(ms);
    });
  }
  return { result: await instance };
}

export async function measure(server: TokenServer, connections: number): Promise<Run> {
  const figures = await measureLoad({
    serverPid: server.pid,
    warmupS: WARMUP_S,
    durationS: DURATION_S,
    run: (duration, latencies) => load(server, connections, duration, latencies),
  });
  return { server: server.name, connections, ...figures };
}

export async function token(): Promise<BenchReport> {
  const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-token-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-token-data-'));
  const servers: TokenServer[] = [];
  try {
    const reference = await startReference(work);
    servers.push(reference);
    const portcullis = await startPortcullis(work, dataDir);
    servers.push(portcullis);
    const tokens = { reference: await verifyOneToken(reference), portcullis: await verifyOneToken(portcullis) };

    // ROUNDS rounds per concurrency, the order alternating (AB, BA, AB), so neither server always
    // runs first; each server's figures are those of its median round, so a burst of load from
    // elsewhere on this shared machine during one run does not decide the comparison.
    const runs: Run[] = [];
    let turn = 0;
    for (const connections of CONNECTIONS) {
      for (let round = 0; round < ROUNDS; round++, turn++) {
        const order = turn % 2 === 0 ? [reference, portcullis] : [portcullis, reference];
        for (const server of order) runs.push({ ...(await measure(server, connections)), round });
      }
    }

    const invalid = runs.flatMap((r) =>
      invalidity(r, 'responses whose body is not a JWT access token response').map(
        (why) => `${r.server} at ${r.connections} connections: ${why}`,
      ),
    );
    if (invalid.length > 0) {
      const figures = runs.map(
        (r) =>
          `${r.server} c=${r.connections}: ${fmt(r.requestsPerSec, 0)} req/s, p99 ${fmt(r.p99, 2)} ms, codes ${JSON.stringify(r.statusCodes)}`,
      );
      throw new Error(`invalid measurement (error responses measured):\n  ${invalid.join('\n  ')}\n  ${figures.join('\n  ')}`);
    }

    const rows: Cell[][] = [];
    const missed: string[] = [];
    for (const connections of CONNECTIONS) {
      const rounds = (server: TokenServer) => runs.filter((r) => r.server === server.name && r.connections === connections);
      const ref = medianRun(rounds(reference));
      const pc = medianRun(rounds(portcullis));
      const ratio = pc.requestsPerSec / ref.requestsPerSec;
      const fast = ratio >= TARGET_RATIO;
      const tail = pc.p99 <= ref.p99;
      if (!fast) missed.push(`${connections} connections: ${fmt(ratio, 2)}x the reference's req/s < ${TARGET_RATIO}x`);
      if (!tail) missed.push(`${connections} connections: p99 ${fmt(pc.p99, 2)} ms > reference ${fmt(ref.p99, 2)} ms`);
      for (const r of [ref, pc]) {
        const isPc = r === pc;
        rows.push([
          r.server,
          connections,
          fmt(r.requestsPerSec, 0),
          roundsOf(runs, r.server, connections),
          isPc ? `${fmt(ratio, 2)}x` : '1.00x',
          fmt(r.p50, 2),
          fmt(r.p99, 2),
          r.non2xx,
          r.errors,
          `${fmt(r.serverCpuPct, 0)} / ${fmt(r.loadGenCpuPct, 0)} / ${fmt(r.otherCpuPct, 0)}`,
          fmt(r.requestsPerServerCpuSecond, 0),
          isPc ? `>= ${TARGET_RATIO}x, p99 <= ${fmt(ref.p99, 2)}` : '',
          isPc ? (fast && tail ? 'pass' : 'FAIL') : '',
        ]);
      }
    }
    return {
      columns: [
        'server',
        'conns',
        'req/s',
        'rounds (req/s)',
        'vs ref',
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
        warmupSeconds: WARMUP_S,
        durationSeconds: DURATION_S,
        roundsPerConcurrency: ROUNDS,
        request: { method: 'POST', body: portcullis.body, auth: 'client_secret_basic' },
        notes: [
          'req/s: autocannon requests.average; p50/p99: exact, from every response timing of the measured run',
          `each server is measured ${ROUNDS} times per concurrency, interleaved with the other; the table shows its median round (by req/s) and every round's req/s`,
          `CPU %: of one core over the measured run (${cpus().length} cores in all); srv = the measured server's process tree, gen = this process (autocannon), other = the rest of the machine`,
        ],
        tokens,
        runs,
      },
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(work, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}
