// Issue #4: fuzzed inputs to POST /attest (malformed JWS, CBOR, ASN.1, JSON, DPoP) get a 4xx JSON
// error within a bounded time, never a 5xx, and leave the server healthy. Seeded: a failure prints
// the seed and the input; PORTCULLIS_FUZZ_SEED=<seed> replays the run. Over 400 lines: five
// campaigns share one server, its PKI and the request checker, so they live in one file.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it, type TestContext } from 'node:test';
import { makeProof, type ProofKey, proofKey, unsignedProof } from '../oauth/dpop/dpop-fixtures.ts';
import { type OAuthServer, startOAuthServer } from '../oauth/start-oauth-server.ts';
import {
  androidEvidence,
  appleEvidence,
  type FuzzContext,
  genuineEvidence,
  makeFuzzContext,
  makeTestPki,
  signCompact,
  softwareEvidence,
} from './fuzz-evidence.ts';
import {
  BASE64URL_ALPHABET,
  caseRandom,
  FUZZ_SEED,
  hostileValue,
  nonObjectJson,
  type Random,
  showInput,
} from './fuzz-fixtures.ts';
import { startWatchdog, type Watchdog } from './fuzz-watchdog.ts';

const REQUEST_LIMIT_MS = 2000;
const SEED = `0x${FUZZ_SEED.toString(16)}`;
const ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
const MAX_EVIDENCE = 65_536;

interface Probe {
  label: string;
  body: string | Uint8Array;
  /** null: no Content-Type at all; default application/json. */
  contentType?: string | null;
  /** Sent as separate header lines, so a name may repeat. */
  headers?: [string, string][];
  expect: readonly number[];
  /** The `error` code the answer must carry, when only one fits. */
  error?: string;
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/** node:http rather than fetch: no Content-Type of its own, and a repeated header stays two lines. */
function post(url: string, probe: Probe): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(probe.body);
    const headers: Record<string, string | string[]> = { 'content-length': String(body.length) };
    if (probe.contentType !== null) headers['content-type'] = probe.contentType ?? 'application/json';
    for (const [name, value] of probe.headers ?? []) {
      const earlier = headers[name];
      headers[name] = earlier === undefined ? value : [...(Array.isArray(earlier) ? earlier : [earlier]), value];
    }
    const req = request(url, { method: 'POST', headers, signal: AbortSignal.timeout(REQUEST_LIMIT_MS) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What is wrong with the answer to `probe`, or undefined when it is a timely 4xx JSON error. */
async function check(server: OAuthServer, probe: Probe): Promise<{ problem?: string; outcome?: string; ms: number }> {
  const started = performance.now();
  let answer: Answer;
  try {
    answer = await post(`${server.issuer}/attest`, probe);
  } catch (error) {
    return { problem: `no answer within ${REQUEST_LIMIT_MS} ms: ${String(error)}`, ms: performance.now() - started };
  }
  const ms = performance.now() - started;
  const { status, contentType, text } = answer;
  const said = `${status} ${text.slice(0, 300)}`;
  if (!probe.expect.includes(status)) return { problem: `expected ${probe.expect.join(' or ')}, got ${said}`, ms };
  if (ms > REQUEST_LIMIT_MS) return { problem: `took ${Math.round(ms)} ms`, ms };
  if (!contentType.startsWith('application/json')) return { problem: `content type ${contentType}: ${said}`, ms };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { problem: `body is not JSON: ${said}`, ms };
  }
  if (typeof body !== 'object' || body === null) return { problem: `body is not a JSON object: ${said}`, ms };
  const error = 'error' in body ? body.error : undefined;
  if (typeof error !== 'string') return { problem: `no error string: ${said}`, ms };
  if (probe.error !== undefined && error !== probe.error) return { problem: `expected error ${probe.error}, got ${said}`, ms };
  const reasons = 'reasons' in body && Array.isArray(body.reasons) ? `: ${body.reasons.join('+')}` : '';
  return { outcome: `${status} ${error}${reasons}`, ms };
}

/** Runs `cases` generated cases against the server; fails with the seed and the first failing inputs. */
async function campaign(
  t: TestContext,
  server: OAuthServer,
  watchdog: Watchdog,
  target: string,
  cases: number,
  generate: (rng: Random) => Promise<Probe[]>,
): Promise<void> {
  const failures: string[] = [];
  const started = performance.now();
  let requests = 0;
  let slowest = 0;
  const outcomes = new Map<string, number>();
  for (let index = 0; index < cases; index++) {
    const where = `seed=${SEED} ${target}#${index}`;
    watchdog.beat(`${where} (generating)`);
    for (const probe of await generate(caseRandom(FUZZ_SEED, target, index))) {
      const input = `input: ${showInput(probe.body)}${probe.headers ? ` headers: ${showInput(JSON.stringify(probe.headers), 200)}` : ''}`;
      watchdog.beat(`${where} (${probe.label}) ${input}`);
      const { problem, outcome, ms } = await check(server, probe);
      if (outcome) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      requests++;
      slowest = Math.max(slowest, ms);
      if (problem) failures.push(`${where} (${probe.label}): ${problem}\n    ${input}`);
    }
  }
  const elapsed = Math.round(performance.now() - started);
  t.diagnostic(`${target}: ${cases} cases, ${requests} requests in ${elapsed} ms, slowest ${Math.round(slowest)} ms`);
  const tally = [...outcomes].sort((a, b) => b[1] - a[1]).map(([outcome, count]) => `${count}× ${outcome}`);
  t.diagnostic(`${target} answers: ${tally.join(', ')}`);
  assert.equal(
    failures.length,
    0,
    `${failures.length} of ${requests} requests failed; replay with PORTCULLIS_FUZZ_SEED=${SEED}\n${failures.slice(0, 10).join('\n')}`,
  );
}

const fits = (evidence: string) => {
  const length = [...evidence].length;
  return length >= 1 && length <= MAX_EVIDENCE;
};

/** A value that is anything but a string. */
function nonString(rng: Random): unknown {
  for (;;) {
    const value = hostileValue(rng);
    if (typeof value !== 'string') return value;
  }
}

const NOT_JSON_TYPES = [
  null,
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/octet-stream',
  'application/jose',
];
const ODD_JSON_TYPES = [
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json;;;',
  'application/json, text/plain',
  'application/jsonx',
  'application/vnd.api+json',
  '*/*',
  '',
];

/** The request body itself broken: not JSON, the wrong media type, the wrong shape, too large. */
function brokenBody(rng: Random): Probe {
  const genuine = JSON.stringify({ format: 'software', evidence: 'a.b.c' });
  switch (rng.below(12)) {
    case 0:
      return { label: 'truncated JSON', body: genuine.slice(0, rng.below(genuine.length)), expect: [400] };
    case 1:
      return { label: 'random bytes', body: rng.bytes(rng.between(1, 2000)), expect: [400] };
    case 2:
      return { label: 'not a JSON media type', body: genuine, contentType: rng.pick(NOT_JSON_TYPES), expect: [415] };
    case 3: {
      const type = rng.chance(0.3) ? rng.text(rng.between(1, 60), ASCII).trim() : rng.pick(ODD_JSON_TYPES);
      return { label: `content type ${JSON.stringify(type)}`, body: genuine, contentType: type, expect: [400, 403, 415] };
    }
    case 4:
      return { label: 'not an object', body: nonObjectJson(rng), expect: [400] };
    case 5:
      return {
        label: 'a member missing',
        body: rng.pick(['{}', '{"evidence":"a.b.c"}', '{"format":"software"}', '{"format":"android-key"}']),
        expect: [400],
      };
    case 6: {
      const format = rng.pick(['SOFTWARE', 'software ', 'apple', 'android', 'tpm', '', rng.text(rng.between(1, 40))]);
      return { label: 'unknown format', body: JSON.stringify({ format, evidence: 'a.b.c' }), expect: [400] };
    }
    case 7:
      return { label: 'format not a string', body: JSON.stringify({ format: nonString(rng), evidence: 'a.b.c' }), expect: [400] };
    case 8: {
      const format = rng.pick(['software', 'apple-app-attest', 'android-key']);
      return { label: 'evidence not a string', body: JSON.stringify({ format, evidence: nonString(rng) }), expect: [400] };
    }
    case 9:
      return {
        label: 'an extra member',
        body: JSON.stringify({ format: 'software', evidence: 'a.b.c', [rng.text(6, ASCII)]: hostileValue(rng) }),
        expect: [400],
      };
    case 10:
      return {
        label: 'duplicate or prototype keys',
        body: rng.pick([
          '{"format":"software","format":"android-key","evidence":"a.b.c"}',
          '{"format":"tpm","format":"software","evidence":"a.b.c"}',
          '{"format":"software","evidence":"a.b.c","__proto__":{"format":"android-key"}}',
          '{"format":"software","evidence":"a.b.c","constructor":{"prototype":{"polluted":true}}}',
        ]),
        expect: [400, 403],
      };
    default: {
      const depth = rng.pick([1000, 100_000, 400_000]);
      return {
        label: `JSON nested ${depth} deep`,
        body: `{"format":"software","evidence":${'['.repeat(depth)}${']'.repeat(depth)}}`,
        expect: [400],
      };
    }
  }
}

describe('POST /attest under fuzzed input (issue #4)', { timeout: 180_000 }, () => {
  let server: OAuthServer;
  let ctx: FuzzContext;
  let other: ProofKey;
  let watchdog: Watchdog;
  const attestUrl = () => `${server.issuer}/attest`;
  const proof = (key: ProofKey = ctx.instance) => makeProof(server, key, { htu: attestUrl() });

  before(async () => {
    const pki = await makeTestPki();
    server = await startOAuthServer({}, { attestationRoots: { apple: [pki.apple.root.pem], android: [pki.android.root.pem] } });
    ctx = await makeFuzzContext(server, pki);
    other = await proofKey();
    watchdog = startWatchdog(15_000);
  });
  after(async () => {
    await watchdog?.stop();
    await server?.close();
  });

  it('genuine hardware evidence passes every check but the release (the baseline the cases break)', async () => {
    for (const format of ['apple-app-attest', 'android-key'] as const) {
      const body = JSON.stringify({ format, evidence: await genuineEvidence(format, ctx) });
      const answer = await post(attestUrl(), { label: 'genuine', body, headers: [['dpop', await proof()]], expect: [403] });
      assert.equal(answer.status, 403, answer.text);
      assert.deepEqual(JSON.parse(answer.text).reasons, ['app_unregistered'], `${format}: ${answer.text}`);
    }
  });

  it('software: JWS-ish evidence', (t) =>
    campaign(t, server, watchdog, 'software', 500, async (rng) => {
      const { kind, evidence } = await softwareEvidence(rng, ctx);
      const ok = fits(evidence);
      const probe: Probe = {
        label: kind,
        body: JSON.stringify({ format: 'software', evidence }),
        expect: ok ? [403] : [400],
        error: ok ? 'attestation_failed' : 'invalid_request',
      };
      // Software evidence needs no proof; a stray DPoP header changes nothing.
      if (rng.chance(0.1)) probe.headers = [['dpop', rng.text(rng.between(1, 200), ASCII)]];
      return [probe];
    }));

  const hardware = (format: 'apple-app-attest' | 'android-key', generate: typeof appleEvidence) => async (rng: Random) => {
    const { kind, evidence } = await generate(rng, ctx);
    const ok = fits(evidence);
    const body = JSON.stringify({ format, evidence });
    const probes: Probe[] = [];
    // ATTESTATION.md §2.2: without a proof nothing is read; the same evidence with one is judged.
    if (rng.chance(0.25)) {
      probes.push({ label: `${kind}, no DPoP`, body, expect: [400], error: ok ? 'invalid_dpop_proof' : 'invalid_request' });
    }
    probes.push({
      label: kind,
      body,
      headers: [['dpop', await proof()]],
      expect: ok ? [403] : [400],
      error: ok ? 'attestation_failed' : 'invalid_request',
    });
    return probes;
  };

  it('apple-app-attest: CBOR attestation objects, base64, client data', (t) =>
    campaign(t, server, watchdog, 'apple-app-attest', 400, hardware('apple-app-attest', appleEvidence)));

  it('android-key: PEM and DER certificate chains, client data', (t) =>
    campaign(t, server, watchdog, 'android-key', 400, hardware('android-key', androidEvidence)));

  it('the request body: not JSON, the wrong media type or shape, over the limit', async (t) => {
    const fixed: Probe[] = [
      { label: 'empty body', body: '', expect: [400] },
      {
        label: 'body over the 1 MiB limit',
        body: JSON.stringify({ format: 'software', evidence: 'e'.repeat(1_100_000) }),
        expect: [413],
      },
      { label: 'bytes over the 1 MiB limit', body: Buffer.alloc(1_200_000, 0x5b), expect: [413] },
      {
        label: 'evidence over 64 KiB',
        body: JSON.stringify({ format: 'android-key', evidence: 'e'.repeat(65_537) }),
        expect: [400],
      },
    ];
    await campaign(t, server, watchdog, 'body', 200, async (rng) => {
      const probes = [brokenBody(rng)];
      const first = fixed.shift();
      return first ? [first, ...probes] : probes;
    });
  });

  it('DPoP: missing, junk, bent, replayed, or made with another key', (t) =>
    campaign(t, server, watchdog, 'dpop', 150, async (rng) => {
      const format = rng.pick(['apple-app-attest', 'android-key'] as const);
      const body = JSON.stringify({ format, evidence: await genuineEvidence(format, ctx) });
      const refused = (label: string, headers: [string, string][]): Probe[] => {
        // Node refuses header sections over 16 KiB (max-http-header-size) before Fastify sees them.
        const size = headers.reduce((sum, [, value]) => sum + value.length, 0);
        if (size > 16_384) return [{ label, body, headers, expect: [431] }];
        const error = label.startsWith('nonce') ? 'use_dpop_nonce' : 'invalid_dpop_proof';
        return [{ label, body, headers, expect: size > 15_000 ? [400, 431] : [400], ...(size > 15_000 ? {} : { error }) }];
      };
      const typ = 'dpop+jwt';
      const claims = () => ({ jti: crypto.randomUUID(), htm: 'POST', htu: attestUrl(), iat: Math.floor(Date.now() / 1000) });
      const genuineHeader = { alg: 'ES256', typ, jwk: ctx.instance.jwk };
      const signed = (header: unknown, payload: unknown) =>
        signCompact(ctx.instanceSigner, JSON.stringify(header), JSON.stringify(payload));
      switch (rng.below(12)) {
        case 0:
          return [{ label: 'no DPoP', body, expect: [400], error: 'invalid_dpop_proof' }];
        case 1:
          return refused('random text', [['dpop', rng.text(rng.between(1, 4000), ASCII)]]);
        case 2: {
          const segment = () => rng.text(rng.between(0, 300), BASE64URL_ALPHABET);
          return refused('random segments', [['dpop', `${segment()}.${segment()}.${segment()}`]]);
        }
        case 3: {
          // Not the last character: its low bits are padding, which Node's base64url decoder ignores,
          // so some replacements there spell the very same signature (and the proof is valid).
          const chars = [...(await proof())];
          for (let i = rng.between(1, 4); i > 0; i--) {
            const at = rng.below(chars.length - 1);
            chars[at] = rng.pick([...ASCII].filter((char) => char !== chars[at]));
          }
          return refused('genuine proof, characters replaced', [['dpop', chars.join('')]]);
        }
        case 4: {
          const claim = rng.pick(['htm', 'htu', 'iat', 'jti'] as const);
          const value = claim === 'jti' ? rng.pick<unknown>([null, 0, '', 'j'.repeat(257), [], {}]) : hostileValue(rng);
          return refused(`claim ${claim} bent`, [['dpop', signed(genuineHeader, { ...claims(), [claim]: value })]]);
        }
        case 5:
          return refused('nonce unknown', [
            ['dpop', await makeProof(server, ctx.instance, { htu: attestUrl(), nonce: rng.text(20, ASCII) })],
          ]);
        case 6: {
          const header = rng.pick<Record<string, unknown>>([
            { ...genuineHeader, typ: 'jwt' },
            { ...genuineHeader, jwk: { ...ctx.instance.jwk, d: 'AAAA' } },
            { ...genuineHeader, jwk: hostileValue(rng) },
            { ...genuineHeader, alg: 'HS256' },
            { ...genuineHeader, crit: ['exp'] },
          ]);
          const bent = rng.chance(0.2) ? unsignedProof(ctx.instance, attestUrl(), 'n') : signed(header, claims());
          return refused('header bent', [['dpop', bent]]);
        }
        case 7:
          return refused('two DPoP headers', [
            ['dpop', await proof()],
            ['dpop', await proof()],
          ]);
        case 8:
          return [
            {
              label: 'a valid proof by another key',
              body,
              headers: [['dpop', await proof(other)]],
              expect: [403],
              error: 'attestation_failed',
            },
          ];
        case 9: {
          const once = await proof();
          return [
            { label: 'a valid proof', body, headers: [['dpop', once]], expect: [403], error: 'attestation_failed' },
            ...refused('the same proof again', [['dpop', once]]),
          ];
        }
        case 10:
          return [
            { label: 'a header over 16 KiB', body, headers: [['dpop', 'a'.repeat(rng.between(17_000, 40_000))]], expect: [431] },
          ];
        default: {
          const bent = rng.pick([
            () => makeProof(server, ctx.instance, { htu: `${server.issuer}/token` }),
            () => makeProof(server, ctx.instance, { htu: attestUrl(), htm: 'GET' }),
            () => makeProof(server, ctx.instance, { htu: attestUrl(), iat: Math.floor(Date.now() / 1000) - 3600 }),
            () => makeProof(server, ctx.instance, { htu: attestUrl(), signWith: other.privateKey }),
          ]);
          return refused('a proof for another request or key', [['dpop', await bent()]]);
        }
      }
    }));

  it('stays healthy, with no unhandled error in its logs', async () => {
    const health = await fetch(`${server.issuer}/healthz`, { signal: AbortSignal.timeout(REQUEST_LIMIT_MS) });
    assert.equal(health.status, 200);
    const errors = server.logs.filter((line) => /"level":(50|60)/.test(line) || line.includes('"stack"'));
    assert.deepEqual(errors, [], `seed=${SEED}: error log lines`);
  });
});
