// Gateway benchmark: what Portcullis's API gateway costs per request. On loopback, in one run, with
// one upstream (bench/gateway-upstream.ts: a minimal node:http server answering small JSON), each
// target is loaded in turn by autocannon in this process at 64 connections, 10 s measured after a
// 2 s warm-up, in three rounds whose order alternates (a..e, e..a, a..e) so a burst of load from
// other tenants of the host falls on every target alike; each target's row is its median round:
//   (a) the upstream directly;
//   (b) the reference: a bare undici proxy with no checks, in its own child process;
//   (c) Portcullis, a route with no checks (auth off, attestation off);
//   (d) Portcullis, bearer JWT + attestation token (binding none);
//   (e) Portcullis, DPoP-bound JWT + attestation token + a fresh DPoP proof on every request
//       (signed by the load generator just before each load, see `presigned`).
// Targets: (d) >= 85 % and (e) >= 45 % of (b)'s requests/s, each with a p99 at most 2 ms above (b)'s;
// Portcullis's resident set after the run < 200 MB. A run with any non-2xx answer, connection error
// or unexpected body is thrown away (it would measure error paths), and reported with a sample.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { call, setUpPortcullis, startHelper, type Target } from './gateway-setup.ts';
import { invalidity, type LoadFigures, measureLoad } from './measure-load.ts';
import { cli, fmt, portcullisEnv, residentMiB, type Started, spawnReady } from './processes.ts';
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
const ROUNDS = 3;

interface Run extends LoadFigures {
  target: string;
  round: number;
  upstreamCpuPct: number;
}

/** The round with the median throughput (of an odd number of rounds). */
function medianRun(rounds: Run[]): Run {
  const sorted = [...rounds].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
  return sorted[Math.floor(sorted.length / 2)] as Run;
}

/**
 * Proofs signed for one load before it starts, each used once: on this 2-core machine the load
 * generator shares the cores with the gateway, and an ES256 signature per request made during the
 * run took ~120 µs of generator CPU a request from them — CPU a real client spends on its own
 * device. Enough for PROOF_RATE_CEILING requests/s; past that, proofs are signed as requests go.
 * A proof's `iat` is then at most the load's length old, well inside the gateway's 60 s window.
 */
const PROOF_RATE_CEILING = 8_000;

function presigned(make: () => string, duration: number): () => string {
  const ready = Array.from({ length: Math.ceil(duration * PROOF_RATE_CEILING) }, make);
  let next = 0;
  return () => (next < ready.length ? (ready[next++] as string) : make());
}

async function load(target: Target, duration: number, expected: string, proof: (() => string) | undefined, latencies?: number[]) {
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

async function measure(target: Target, upstreamPid: number, expected: string, round: number): Promise<Run> {
  // The warm-up's proofs, then the measured run's, both signed before anything is timed.
  const proofs = target.proof ? [presigned(target.proof, WARMUP_S), presigned(target.proof, DURATION_S)] : [];
  let loads = 0;
  const figures = await measureLoad({
    serverPid: target.pid,
    watchPids: [upstreamPid],
    warmupS: WARMUP_S,
    durationS: DURATION_S,
    run: (duration, latencies) => load(target, duration, expected, proofs[loads++], latencies),
  });
  return { target: target.name, round, upstreamCpuPct: figures.watchedCpuPct[0] ?? 0, ...figures };
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
    const needed = Math.ceil(Date.now() / 1000) + ROUNDS * targets.length * (WARMUP_S + DURATION_S) + 30;
    if (setup.expiresAt < needed)
      throw new Error(`the tokens expire at ${setup.expiresAt}, before the runs would end (${needed}); lengthen their lifetime`);

    const runs: Run[] = [];
    // BENCH_ONLY=c,e measures only those targets (while investigating one of them).
    const only = process.env.BENCH_ONLY?.split(',');
    const measured = only ? targets.filter((t) => only.some((o) => t.name.startsWith(`(${o})`))) : targets;
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? measured : [...measured].reverse();
      for (const target of order) runs.push(await measure(target, upstream.started.child.pid!, expected, round));
    }
    const roundsOf = (target: Target) => runs.filter((r) => r.target === target.name);
    const medians = measured.map((t) => medianRun(roundsOf(t)));
    const memory = residentMiB(portcullis.child.pid!);

    const invalid = runs.flatMap((r) =>
      invalidity(r, "responses that are not the upstream's body").map(
        (why) => `${r.target}: ${why}${r.sample ? `; first: ${r.sample}` : ''}`,
      ),
    );
    if (invalid.length > 0) {
      const figures = runs.map(
        (r) => `${r.target}: ${fmt(r.requestsPerSec, 0)} req/s, p99 ${fmt(r.p99, 2)} ms, codes ${JSON.stringify(r.statusCodes)}`,
      );
      throw new Error(`invalid measurement (error responses measured):\n  ${invalid.join('\n  ')}\n  ${figures.join('\n  ')}`);
    }

    // The reference is (b); without it (BENCH_ONLY leaving it out) there are no ratios to judge.
    const ref = medians[measured.findIndex((t) => t.key === 'proxy')] ?? { requestsPerSec: Number.NaN, p99: Number.NaN };
    const goals: Record<string, number> = { bearer: BEARER_RATIO, dpop: DPOP_RATIO };
    const rows: Cell[][] = [];
    const missed: string[] = [];
    for (const [i, r] of medians.entries()) {
      const key = measured[i]!.key;
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
        roundsOf(measured[i]!)
          .map((x) => fmt(x.requestsPerSec, 0))
          .join(' / '),
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
        'rounds (req/s)',
        'target',
        'result',
      ],
      rows,
      missed,
      data: {
        connections: CONNECTIONS,
        warmupSeconds: WARMUP_S,
        durationSeconds: DURATION_S,
        rounds: ROUNDS,
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
          `each target is measured in ${ROUNDS} rounds, the order alternating (a..e, e..a, ...); its row shows its median round (by req/s) and every round's req/s; ratios are of medians`,
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
