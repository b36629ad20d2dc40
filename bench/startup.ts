// Startup benchmark: time to ready, idle RSS and shutdown time of `portcullis serve`,
// next to a bare node:http server started the same way (the floor the runtime sets).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cli, portcullisEnv, spawnReady, withoutPortcullisEnv } from './processes.ts';
import type { BenchReport } from './run.ts';

const RUNS = 5; // starts measured after the first run
const IDLE_MS = 2000;
const TARGET_READY_MS = 1000;
const TARGET_RSS_MB = 120;

interface Sample {
  readyMs: number;
  rssMB: number;
  healthz: number;
  shutdownMs: number;
  exitCode: number | null;
  signal: string | null;
}

// The same kind of ready file as `portcullis serve --ready-file`, from a bare node:http server.
const REFERENCE = `const http = require('node:http'), fs = require('node:fs');
const s = http.createServer((q, r) => r.end('ok'));
s.listen(0, '127.0.0.1', () => {
  const url = 'http://127.0.0.1:' + s.address().port;
  fs.writeFileSync(process.env.READY_FILE, JSON.stringify({ issuer: url, http: url, https: null, mqtt: null, mqtts: null, admin: url + '/admin/v1' }));
});
process.on('SIGTERM', () => s.close(() => process.exit(0)));`;

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0))).on('error', reject);
  });
}

/** VmRSS in MB (KiB / 1024) summed over the process and its descendants. */
function treeRssMB(pid: number): number {
  let kib = 0;
  try {
    kib = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
    return kib / 1024 + children.reduce((sum, c) => sum + treeRssMB(Number(c)), 0);
  } catch {
    return kib / 1024;
  }
}

async function measureOnce(args: string[], env: NodeJS.ProcessEnv, readyFile: string): Promise<Sample> {
  const started = await spawnReady(args, env, readyFile);
  await sleep(IDLE_MS);
  const healthz = await httpStatus(`${String(started.ready.http)}/healthz`).catch(() => 0);
  const rssMB = treeRssMB(started.child.pid!);
  const idleExit = started.exited();
  if (idleExit) {
    throw new Error(`exited while idle (code ${idleExit.code}, signal ${idleExit.signal})\n${started.output().trim()}`);
  }
  const stop = performance.now();
  const { code, signal } = await started.stop();
  return { readyMs: started.readyMs, rssMB, healthz, shutdownMs: performance.now() - stop, exitCode: code, signal };
}

async function series(args: string[], env: NodeJS.ProcessEnv, dir: string) {
  const readyFile = join(dir, 'ready.json');
  const first = await measureOnce(args, env, readyFile);
  const runs: Sample[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await measureOnce(args, env, readyFile));
  return { first, runs };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (x: number) => `${Math.round(x)}`;
const mb = (x: number) => x.toFixed(1);
const minMax = (xs: number[]) => `${ms(Math.min(...xs))} / ${ms(Math.max(...xs))}`;

export async function startup(): Promise<BenchReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-data-'));
  const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  try {
    const ref = await series(['-e', REFERENCE], { ...withoutPortcullisEnv(), READY_FILE: join(work, 'ready.json') }, work);
    const env = portcullisEnv(dataDir, { PORTCULLIS_HTTPS_PORT: '0' });
    const srv = await series([cli, 'serve', '--ready-file', join(work, 'ready.json')], env, work);

    const stat = (s: { runs: Sample[] }, k: 'readyMs' | 'rssMB' | 'shutdownMs') => s.runs.map((r) => r[k]);
    const readyMed = median(stat(srv, 'readyMs'));
    const rssMed = median(stat(srv, 'rssMB'));
    const clean = (s: { first: Sample; runs: Sample[] }) => [s.first, ...s.runs].filter((r) => r.exitCode === 0).length;
    const healthy = (s: { first: Sample; runs: Sample[] }) => [s.first, ...s.runs].filter((r) => r.healthz === 200).length;
    const total = RUNS + 1;
    const checks: [string, boolean][] = [
      [`ready median ${ms(readyMed)} ms >= ${TARGET_READY_MS} ms`, readyMed < TARGET_READY_MS],
      [`idle RSS median ${mb(rssMed)} MB >= ${TARGET_RSS_MB} MB`, rssMed < TARGET_RSS_MB],
      [`only ${clean(srv)}/${total} runs exited 0 on SIGTERM`, clean(srv) === total],
      [`only ${healthy(srv)}/${total} runs answered /healthz with 200`, healthy(srv) === total],
    ];
    const verdict = (i: number) => (checks[i]![1] ? 'pass' : 'FAIL');
    return {
      columns: ['metric', 'portcullis', 'node:http floor', 'target', 'result'],
      rows: [
        ['first-run ready (ms)', ms(srv.first.readyMs), ms(ref.first.readyMs), '', ''],
        [`ready median (ms, ${RUNS} runs)`, ms(readyMed), ms(median(stat(ref, 'readyMs'))), `< ${TARGET_READY_MS}`, verdict(0)],
        ['ready min / max (ms)', minMax(stat(srv, 'readyMs')), minMax(stat(ref, 'readyMs')), '', ''],
        ['idle RSS median (MB)', mb(rssMed), mb(median(stat(ref, 'rssMB'))), `< ${TARGET_RSS_MB}`, verdict(1)],
        ['shutdown median (ms)', ms(median(stat(srv, 'shutdownMs'))), ms(median(stat(ref, 'shutdownMs'))), '', ''],
        ['SIGTERM -> exit 0', `${clean(srv)}/${total}`, `${clean(ref)}/${total}`, 'all', verdict(2)],
        ['GET /healthz -> 200', `${healthy(srv)}/${total}`, `${healthy(ref)}/${total}`, 'all', verdict(3)],
      ],
      missed: checks.filter(([, ok]) => !ok).map(([why]) => why),
      data: { runs: RUNS, idleMs: IDLE_MS, portcullis: srv, reference: ref },
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}
