import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { ReadyInfo } from '@portcullis/protocol';
import { BIN, type CliResult, cleanEnv, runCli } from '../src/spawn-server.ts';

export { BIN, type CliResult, runCli } from '../src/spawn-server.ts';

export interface RunningServer {
  ready: ReadyInfo;
  /** The server's process id (its own: `serve` replaces the process it starts in, keeping the id). */
  pid: number;
  adminKey: string;
  /** SIGTERM, then the exit code and what the server wrote on stderr. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/**
 * `portcullis serve` in a child process on free ports, with a fresh data directory; `env` adds to
 * the environment, and a name set to undefined is left out of it.
 */
export async function startServer(env: Record<string, string | undefined> = {}): Promise<RunningServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'portcullis-cli-test-'));
  const readyFile = join(dataDir, 'ready.json');
  const adminKey = randomBytes(32).toString('base64url');
  const childEnv = cleanEnv({
    PORTCULLIS_DATA_DIR: dataDir,
    PORTCULLIS_HTTP_PORT: '0',
    PORTCULLIS_HTTPS_PORT: 'off',
    PORTCULLIS_MQTT_PORT: 'off',
    PORTCULLIS_MQTTS_PORT: 'off',
    PORTCULLIS_LOG_LEVEL: 'warn',
    PORTCULLIS_ADMIN_KEY: adminKey,
  });
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  const child = spawn(process.execPath, [BIN, 'serve', '--ready-file', readyFile], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });

  let ready: ReadyInfo;
  try {
    ready = await waitForReadyFile(readyFile, child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    ready,
    pid: child.pid as number,
    adminKey,
    async stop() {
      child.kill('SIGTERM');
      const result = await exited;
      await rm(dataDir, { recursive: true, force: true });
      return { ...result, stderr };
    },
  };
}

export interface ServerSuite {
  /** The server the suite's `before` hook started; read it inside tests and hooks only. */
  readonly server: RunningServer;
  /** The CLI against that server, as its bootstrap admin unless `key` names another admin key. */
  cli(args: readonly string[], options?: { stdin?: string; key?: string }): Promise<CliResult>;
}

/**
 * One `portcullis serve` for the enclosing `describe`: started in a `before` hook registered here
 * (so a suite's own `before` hooks, registered later, run after it), and stopped in `after`, which
 * asserts a clean exit 0 on SIGTERM.
 */
export function useServer(): ServerSuite {
  let running: RunningServer | undefined;
  before(async () => {
    running = await startServer();
  });
  after(async () => {
    if (!running) return;
    const stopped = await running.stop();
    assert.equal(stopped.code, 0, `serve exited with ${stopped.code ?? stopped.signal} after SIGTERM: ${stopped.stderr}`);
  });
  const suite: ServerSuite = {
    get server(): RunningServer {
      if (!running) throw new Error('the server is started in a before hook; use it inside tests');
      return running;
    },
    cli(args, options = {}) {
      const { ready, adminKey } = suite.server;
      return runCli([...args, '--server', ready.http, '--admin-key', options.key ?? adminKey], { stdin: options.stdin });
    },
  };
  return suite;
}

export function assertSuccess(result: CliResult): void {
  assert.equal(result.code, 0, `exit ${result.code}, stderr: ${result.stderr}`);
  assert.equal(result.stderr, '');
}

/** Exit `code` (1: refused, 2: bad usage) and exactly one `portcullis: ...` line on stderr matching `reason`; nothing on stdout, never a stack trace. */
function assertOneLineError(result: CliResult, code: 1 | 2, reason: RegExp): void {
  assert.equal(result.code, code, `exit ${result.code}, stdout: ${result.stdout}, stderr: ${result.stderr}`);
  assert.match(result.stderr, /^portcullis: [^\n]+\n$/);
  assert.match(result.stderr, reason);
  assert.equal(result.stdout, '');
}

/** A refused operation: exit 1, one line. */
export function assertFailure(result: CliResult, reason: RegExp): void {
  assertOneLineError(result, 1, reason);
}

/** Bad usage: exit 2, one line. */
export function assertUsage(result: CliResult, reason: RegExp): void {
  assertOneLineError(result, 2, reason);
}

/** Asserts success, then the parsed `--json` output. */
export function parseJson<T>(result: CliResult): T {
  assertSuccess(result);
  return JSON.parse(result.stdout) as T;
}

async function waitForReadyFile(path: string, child: ChildProcess, stderr: () => string): Promise<ReadyInfo> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`portcullis serve exited with ${child.exitCode}: ${stderr()}`);
    try {
      const ready = JSON.parse(await readFile(path, 'utf8')) as ReadyInfo;
      if (typeof ready.http === 'string') return ready;
    } catch {
      // Not written yet, or caught half-written.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`portcullis serve did not write ${path} within 30s: ${stderr()}`);
}

/** A port on 127.0.0.1 that nothing listens on: bound, noted, and closed again. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
