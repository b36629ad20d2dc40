// One measured load run, as the token and gateway benchmarks both take it: a warm-up, then the
// measured run with every response's latency, the CPU of the measured server's process tree, of
// this process (the load generator) and of the rest of the machine, and autocannon's counts.
import type { Result } from 'autocannon';
import { machineCpuSeconds, percentile, treeCpuSeconds } from './processes.ts';

/** One autocannon run of `duration` seconds; `latencies` collects every response time (ms) when given. */
export type LoadRun = (duration: number, latencies?: number[]) => Promise<{ result: Result; sample?: string | undefined }>;

export interface LoadFigures {
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
  loadGenCpuPct: number;
  /** CPU of each process in `watchPids`, in the same order. */
  watchedCpuPct: number[];
  /** Everything else on the machine, watched processes included. */
  otherCpuPct: number;
  /** Requests per CPU-second of the server: less sensitive than req/s to other load on the machine. */
  requestsPerServerCpuSecond: number;
  autocannon: { requests: Result['requests']; latency: Result['latency']; duration: number; total2xx: number };
  warmup: { requests: number; non2xx: number; errors: number; mismatches: number };
  /** The first bad answer or error seen, if any (warm-up or measured). */
  sample?: string;
}

export async function measureLoad(options: {
  serverPid: number;
  watchPids?: number[];
  warmupS: number;
  durationS: number;
  run: LoadRun;
}): Promise<LoadFigures> {
  const watched = options.watchPids ?? [];
  const warm = await options.run(options.warmupS);
  const latencies: number[] = [];
  const cpu0 = treeCpuSeconds(options.serverPid);
  const watched0 = watched.map(treeCpuSeconds);
  const all0 = machineCpuSeconds();
  const gen0 = process.cpuUsage();
  const t0 = performance.now();
  const { result: r, sample } = await options.run(options.durationS, latencies);
  const wall = (performance.now() - t0) / 1000;
  const gen = process.cpuUsage(gen0);
  const pct = (seconds: number) => (seconds / wall) * 100;
  const serverCpuPct = pct(treeCpuSeconds(options.serverPid) - cpu0);
  const loadGenCpuPct = pct((gen.user + gen.system) / 1e6);
  const machineCpuPct = pct(machineCpuSeconds() - all0);
  const sorted = Float64Array.from(latencies).sort();
  const w = warm.result;
  const firstSample = warm.sample ?? sample;
  return {
    requestsPerSec: r.requests.average,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    mismatches: r.mismatches,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, Number(v.count)])),
    serverCpuPct,
    loadGenCpuPct,
    watchedCpuPct: watched.map((pid, i) => pct(treeCpuSeconds(pid) - (watched0[i] ?? 0))),
    otherCpuPct: Math.max(0, machineCpuPct - serverCpuPct - loadGenCpuPct),
    requestsPerServerCpuSecond: r.requests.total / ((serverCpuPct / 100) * wall),
    autocannon: { requests: r.requests, latency: r.latency, duration: r.duration, total2xx: r['2xx'] },
    warmup: { requests: w.requests.total, non2xx: w.non2xx, errors: w.errors, mismatches: w.mismatches },
    ...(firstSample ? { sample: firstSample } : {}),
  };
}

/** Why a run measured error paths instead of the real thing (empty when it did not). */
export const invalidity = (r: LoadFigures, mismatch: string) =>
  [
    r.non2xx + r.warmup.non2xx > 0 && `${r.non2xx + r.warmup.non2xx} non-2xx (${JSON.stringify(r.statusCodes)})`,
    r.errors + r.warmup.errors > 0 && `${r.errors + r.warmup.errors} errors (${r.timeouts} timeouts)`,
    r.mismatches + r.warmup.mismatches > 0 && `${r.mismatches + r.warmup.mismatches} ${mismatch}`,
  ].filter((x): x is string => typeof x === 'string');
