import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ecdsaSigFormatter from 'ecdsa-sig-formatter';
import type { JWK } from 'jose';
import { Client, type Dispatcher } from 'undici';
import { cli, machineCpuSeconds, portcullisEnv, spawnReady, treeCpuSeconds } from './processes.ts';
import type { BenchReport } from './run.ts';

const CLIENTS = 16;
const WARMUP_MS = 2000;
const MEASURE_MS = 10_000;
const APP = 'com.example.bench';
const RELEASE = `sha256:${'ab'.repeat(32)}`;
const TARGET_RATE = 2000;
const TARGET_P99_MS = 15;

interface Device {
  key: KeyObject;
  /** The evidence's protected header, encoded once (it names the device's public key). */
  header: string;
  id: string;
  connection: Client;
}

const JSON_BODY = { 'content-type': 'application/json' };

const b64url = (s: string) => Buffer.from(s).toString('base64url');

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/**
 * `npm run bench -- attest`: software-format attestations per second and their latency, each one
 * the whole exchange a device makes (POST /attest/challenge, sign the evidence, POST /attest and
 * receive the token), by 16 concurrent clients on loopback. The floor beside it is the same
 * client doing only the signing, so readers see what the client side itself costs on this machine.
 */
export async function attest(): Promise<BenchReport> {
  const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-attest-'));
  const adminKey = randomBytes(32).toString('base64url');
  const readyFile = join(work, 'ready.json');
  // BENCH_CPU_PROF=DIR writes a V8 CPU profile of the server there (for finding hot spots).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const server = await spawnReady(
    [...profile, cli, 'serve', '--ready-file', readyFile],
    portcullisEnv(join(work, 'data'), { PORTCULLIS_ADMIN_KEY: adminKey }),
    readyFile,
  );
  const base = String((server.ready as { http: string }).http);
  // One connection per device, as a device has. Requests go through undici's dispatch API, which
  // hands the response over in chunks without building a stream per response: ~60 µs of the
  // generator's CPU an attestation less than Pool.request, CPU this 2-core machine's server gets.
  const connections = Array.from({ length: CLIENTS }, () => new Client(base, { pipelining: 1 }));
  try {
    const registered = await fetch(`${base}/admin/v1/apps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: APP, digest: RELEASE }),
    });
    if (registered.status !== 201) throw new Error(`registering the app answered ${registered.status}`);
    // The 16 clients stand for 16 devices but share one address: raise the per-address challenge
    // limit out of the way, keeping its counting in the measured path.
    const limit = await fetch(`${base}/admin/v1/policy/challenge-rate-limit`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: '9999999' }),
    });
    if (limit.status !== 200) throw new Error(`raising the challenge rate limit answered ${limit.status}`);
    // The client signs as the server verifies, with node:crypto (DER then r‖s; keys/jws-signature.ts
    // says why): a slower signer would take CPU from the server on this 2-core machine.
    const devices: Device[] = connections.map((connection, i) => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' }) as JWK;
      return {
        key: privateKey,
        header: b64url(JSON.stringify({ alg: 'ES256', typ: 'portcullis-evidence+jwt', jwk })),
        id: `bench-${i}`,
        connection,
      };
    });
    const evidence = (device: Device, nonce: string) => {
      const payload = b64url(
        JSON.stringify({
          nonce,
          app_id: APP,
          release: RELEASE,
          device_id: device.id,
          platform: 'android',
          iat: Math.floor(Date.now() / 1000),
          signals: {},
        }),
      );
      const input = `${device.header}.${payload}`;
      return `${input}.${ecdsaSigFormatter.derToJose(sign('sha256', Buffer.from(input), device.key), 'ES256')}`;
    };
    const post = (device: Device, path: string, body?: string) =>
      new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let status = 0;
        const handler: Dispatcher.DispatchHandler = {
          // undici takes a handler as its new-style one by this method.
          onRequestStart: () => {},
          onResponseStart: (_controller, statusCode) => {
            status = statusCode;
          },
          onResponseData: (_controller, chunk) => {
            chunks.push(chunk);
          },
          onResponseEnd: () => {
            try {
              resolve({ status, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
            } catch (err) {
              reject(err);
            }
          },
          onResponseError: (_controller, err) => reject(err),
        };
        device.connection.dispatch(
          { origin: base, method: 'POST', path, ...(body ? { body, headers: JSON_BODY } : {}) },
          handler,
        );
      });
    const once = async (device: Device): Promise<number> => {
      const started = performance.now();
      const challenge = await post(device, '/attest/challenge');
      if (challenge.status !== 201) throw new Error(`challenge answered ${challenge.status}`);
      const result = await post(
        device,
        '/attest',
        JSON.stringify({ format: 'software', evidence: evidence(device, String(challenge.json.challenge)) }),
      );
      if (result.status !== 200 || typeof result.json.attestation_token !== 'string')
        throw new Error(`attest answered ${result.status}: ${JSON.stringify(result.json)}`);
      return performance.now() - started;
    };
    const run = async (ms: number, work: (d: Device) => Promise<number>) => {
      const latencies: number[] = [];
      const until = performance.now() + ms;
      await Promise.all(
        devices.map(async (d) => {
          while (performance.now() < until) latencies.push(await work(d));
        }),
      );
      latencies.sort((a, b) => a - b);
      return {
        rate: Math.round(latencies.length / (ms / 1000)),
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        count: latencies.length,
      };
    };
    await run(WARMUP_MS, once);
    // Where the CPU goes during the measured run: the server, this load generator, everything else.
    const cpu0 = { server: treeCpuSeconds(server.child.pid as number), gen: process.cpuUsage(), machine: machineCpuSeconds() };
    const measured = await run(MEASURE_MS, once);
    const cpuPct = (seconds: number) => Math.round((100 * seconds) / (MEASURE_MS / 1000));
    const genCpu = process.cpuUsage(cpu0.gen);
    const cpu = {
      serverPct: cpuPct(treeCpuSeconds(server.child.pid as number) - cpu0.server),
      generatorPct: cpuPct((genCpu.user + genCpu.system) / 1e6),
      machinePct: cpuPct(machineCpuSeconds() - cpu0.machine),
    };
    const floor = await run(3000, async (d) => {
      const started = performance.now();
      evidence(d, 'x'.repeat(71));
      await undefined;
      return performance.now() - started;
    });
    const missed: string[] = [];
    if (measured.rate < TARGET_RATE) missed.push(`${measured.rate} attestations/s < ${TARGET_RATE}`);
    if (measured.p99 > TARGET_P99_MS) missed.push(`p99 ${measured.p99.toFixed(2)} ms > ${TARGET_P99_MS} ms`);
    const fmt = (n: number) => n.toFixed(2);
    return {
      columns: ['measurement', 'per second', 'p50 (ms)', 'p99 (ms)', 'target', 'result'],
      rows: [
        [
          `portcullis: challenge + attest (16 clients; CPU % of one core: srv ${cpu.serverPct}, gen ${cpu.generatorPct}, machine ${cpu.machinePct})`,
          measured.rate,
          fmt(measured.p50),
          fmt(measured.p99),
          `>= ${TARGET_RATE}/s, p99 <= ${TARGET_P99_MS}`,
          missed.length === 0 ? 'pass' : 'FAIL',
        ],
        ['floor: client evidence signing only', floor.rate, fmt(floor.p50), fmt(floor.p99), '', ''],
      ],
      missed,
      data: { clients: CLIENTS, measured, floor, cpu },
    };
  } finally {
    await Promise.all(connections.map((c) => c.close()));
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
