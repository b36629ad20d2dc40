import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ReadyInfo } from '@portcullis/protocol';

const ROOT = resolve(import.meta.dirname, '../../../..');
export const BIN = join(ROOT, 'packages/cli/bin/portcullis.js');

export interface RunningServer {
  child: ChildProcess;
  ready: ReadyInfo;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM, then the exit code (null if killed by a signal). */
  stop(): Promise<number | null>;
}

export interface SpawnResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for a server on ephemeral ports in `dataDir`, without MQTT (not built yet). */
export function serverEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    PORTCULLIS_DATA_DIR: dataDir,
    PORTCULLIS_HTTP_PORT: '0',
    PORTCULLIS_HTTPS_PORT: '0',
    PORTCULLIS_MQTT_PORT: 'off',
    PORTCULLIS_MQTTS_PORT: 'off',
    ...extra,
  };
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((res) => child.once('exit', (code) => res(code)));
}

/** Starts `portcullis serve` as a user would and waits for its ready file. */
export async function startServer(env: NodeJS.ProcessEnv, readyFile: string, timeoutMs = 15_000): Promise<RunningServer> {
  const child = spawn(process.execPath, [BIN, 'serve', '--ready-file', readyFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(readyFile)) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${err}${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready after ${timeoutMs} ms: ${err}${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const ready = JSON.parse(readFileSync(readyFile, 'utf8')) as ReadyInfo;
  return {
    child,
    ready,
    stdout: () => out,
    stderr: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      return exited(child);
    },
  };
}

/** Runs `portcullis serve` expecting it to fail at start-up. */
export async function runFailingServer(env: NodeJS.ProcessEnv): Promise<SpawnResult> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await exited(child);
  clearTimeout(timer);
  return { code, stdout, stderr };
}
