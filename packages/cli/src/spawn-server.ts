import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ReadyInfo } from '@portcullis/protocol';

// `portcullis serve` and the CLI verbs as child processes, for the demo and for tests that want the
// server exactly as users start it (`@portcullis/cli/spawn`).

/** The `portcullis` launcher, run by the same Node.js that runs the caller. */
export const BIN = fileURLToPath(new URL('../bin/portcullis.js', import.meta.url));

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The parent's environment without any PORTCULLIS_* setting, so a developer's shell cannot leak in. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('PORTCULLIS_') && value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

/** A port that was free a moment ago: the issuer URL must name it before the server starts. */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Runs `portcullis ARGS` as an operator would. The server and admin key travel in the environment
 * (PORTCULLIS_SERVER, PORTCULLIS_ADMIN_KEY) rather than on the command line, where `ps` shows them.
 */
export function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface ServerOptions {
  dataDir: string;
  /** The HTTP port; 0 = any free one. */
  port: number;
  /** The HTTPS port; default off. */
  httpsPort?: number | 'off';
  adminKey: string;
  /** Default `http://localhost:<bound HTTP port>`, as the server itself chooses. */
  publicUrl?: string;
  /** PORTCULLIS_LOG_LEVEL of the server. */
  logLevel: string;
  /** Each line the server prints (pino JSON). */
  log: (line: string) => void;
}

export interface ServerProcess {
  ready: ReadyInfo;
  /** SIGTERM, then waits for the server to exit (SIGKILL if it has not after 15 s). */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** `portcullis serve` in a child process (no MQTT), resolved once its ready file is written. */
export async function spawnServer(options: ServerOptions): Promise<ServerProcess> {
  const readyFile = join(options.dataDir, 'ready.json');
  const child = spawn(process.execPath, [BIN, 'serve', '--ready-file', readyFile], {
    env: cleanEnv({
      PORTCULLIS_DATA_DIR: options.dataDir,
      PORTCULLIS_HTTP_PORT: String(options.port),
      PORTCULLIS_HTTPS_PORT: String(options.httpsPort ?? 'off'),
      PORTCULLIS_MQTT_PORT: 'off',
      PORTCULLIS_MQTTS_PORT: 'off',
      PORTCULLIS_ADMIN_KEY: options.adminKey,
      ...(options.publicUrl === undefined ? {} : { PORTCULLIS_PUBLIC_URL: options.publicUrl }),
      PORTCULLIS_LOG_LEVEL: options.logLevel,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a Ctrl-C in the terminal reaches only the caller, which then stops
    // the server with one SIGTERM (a second signal would cut its graceful shutdown short).
    detached: true,
  });
  // Should the caller die without closing, the server goes with it rather than lingering.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const recent: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      options.log(line);
    });
  }
  const stop = async () => {
    process.off('exit', killOnExit);
    const done = exited(child);
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await done;
    clearTimeout(timer);
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`portcullis serve exited (${child.exitCode ?? child.signalCode}):\n${recent.join('\n')}`);
    const text = await readFile(readyFile, 'utf8').catch(() => '');
    // The file may be seen half-written; a complete one parses.
    const ready = parseReady(text);
    if (ready) return { ready, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`portcullis serve was not ready after ${READY_TIMEOUT_MS / 1000} s:\n${recent.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function parseReady(text: string): ReadyInfo | null {
  if (text === '') return null;
  try {
    return JSON.parse(text) as ReadyInfo;
  } catch {
    return null;
  }
}
