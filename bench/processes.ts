// Starting the processes a benchmark measures: `node ARGS` in its own child process, ready when it
// has written its ready file; and the environment `portcullis serve` gets in every benchmark.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const READY_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 15_000;

export const root = fileURLToPath(new URL('..', import.meta.url));
export const cli = join(root, 'packages/cli/bin/portcullis.js');

export type Exit = { code: number | null; signal: string | null };

export interface Started {
  child: ChildProcess;
  ready: Record<string, unknown>;
  /** Milliseconds from spawn to a complete ready file. */
  readyMs: number;
  /** The exit, once the process has exited on its own or been stopped. */
  exited(): Exit | undefined;
  /** Last few KB of the process's stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL after 15 s; resolves with the exit. */
  stop(): Promise<Exit>;
}

/** The parent's environment without any PORTCULLIS_* setting, so a developer's shell cannot leak in. */
export function withoutPortcullisEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTCULLIS_')));
}

/** `portcullis serve` on a free loopback HTTP port with `dataDir`, MQTT off, quiet logs; `extra` overrides. */
export function portcullisEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...withoutPortcullisEnv(),
    PORTCULLIS_DATA_DIR: dataDir,
    PORTCULLIS_HTTP_PORT: '0',
    PORTCULLIS_HTTPS_PORT: 'off',
    PORTCULLIS_MQTT_PORT: 'off',
    PORTCULLIS_MQTTS_PORT: 'off',
    PORTCULLIS_LOG_LEVEL: 'warn',
    ...extra,
  };
}

function readReady(file: string): Record<string, unknown> | undefined {
  try {
    const ready: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof ready === 'object' && ready !== null) return ready as Record<string, unknown>;
  } catch {}
  return undefined; // missing or partly written
}

/** Spawns `node ARGS` and waits for it to write its ready file; a process that exits first, or takes over 60 s, is an error. */
export async function spawnReady(args: string[], env: NodeJS.ProcessEnv, readyFile: string): Promise<Started> {
  rmSync(readyFile, { force: true });
  const start = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: Exit | undefined;
  const exit = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  const stop = async () => {
    if (exited) return exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    const result = await exit;
    clearTimeout(timer);
    return result;
  };
  let ready = readReady(readyFile);
  while (!ready) {
    if (exited || performance.now() - start > READY_TIMEOUT_MS) {
      const why = exited
        ? `exited (code ${exited.code}, signal ${exited.signal}) before writing its ready file`
        : `no ready file after ${READY_TIMEOUT_MS} ms`;
      await stop();
      throw new Error(`${args.join(' ').slice(0, 80)}: ${why}\n${output.trim()}`);
    }
    await sleep(5);
    ready = readReady(readyFile);
  }
  return { child, ready, readyMs: performance.now() - start, exited: () => exited, output: () => output, stop };
}

const CLK_TCK = 100; // /proc/<pid>/stat time unit on Linux

/** CPU seconds used so far by a process and its descendants (0 once it is gone). */
export function treeCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    const own = (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean);
    return own + children.reduce((sum, c) => sum + treeCpuSeconds(Number(c)), 0);
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by the whole machine (all cores, every process). */
export function machineCpuSeconds(): number {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLK_TCK;
}

/** A process's resident set now (VmRSS) and at its peak (VmHWM), in MiB, from /proc/<pid>/status. */
export function residentMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]) / 1024;
  };
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** The p-th percentile of sorted values (nearest rank). */
export const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);

/** A figure for a table: fixed digits, or n/a. */
export const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
