// Issue #4, one level down: the pure attestation decoders under seeded fuzzing. Each either
// returns or refuses in its documented way (MalformedEvidence, MalformedKeyAttestation, undefined,
// a `malformed` result), quickly, and never crashes the process. PORTCULLIS_FUZZ_SEED replays a run.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { readKeyDescription } from '../../src/attestation/android/read-key-description.ts';
import {
  MalformedKeyAttestation,
  readCertificate,
  readCertificateChain,
} from '../../src/attestation/android/read-pem-certificates.ts';
import { verifyAndroidKeyAttestation } from '../../src/attestation/android/verify-android-key-attestation.ts';
import { decodeCborMap, MAX_CBOR_BYTES, MalformedEvidence } from '../../src/attestation/apple/decode-cbor-map.ts';
import { parseAttestedAuthenticatorData } from '../../src/attestation/apple/parse-authenticator-data.ts';
import { readAttestationObject } from '../../src/attestation/apple/read-attestation-object.ts';
import { readNonceExtension } from '../../src/attestation/apple/read-nonce-extension.ts';
import { verifyAppleAttestation } from '../../src/attestation/apple/verify-attestation.ts';
import { readAndroidEvidence, readAppleEvidence } from '../../src/attestation/read-hardware-evidence.ts';
import { verifySoftwareEvidence } from '../../src/attestation/verify-software-evidence.ts';
import {
  ANDROID_APP,
  APPLE_APP,
  APPLE_NONCE_OID,
  androidLeaf,
  BAD_BASE64,
  brokenAttestationObject,
  brokenChain,
  brokenClientData,
  brokenDocument,
  brokenPem,
  certificateWith,
  type FuzzMaterial,
  KEY_DESCRIPTION_OID,
  makeFuzzMaterial,
  makeTestPki,
  smallAttestationObject,
  softwareEvidence,
} from './fuzz-evidence.ts';
import {
  b64url,
  caseRandom,
  deepCborArrays,
  deepCborMaps,
  derOf,
  FUZZ_SEED,
  hostileDer,
  hostileValue,
  inflateDerLength,
  mutateBytes,
  mutateCbor,
  nestDer,
  octetStringBomb,
  pem,
  type Random,
  showInput,
} from './fuzz-fixtures.ts';
import { startWatchdog, type Watchdog } from './fuzz-watchdog.ts';
import { encodeClientData, makeAndroidChain, makeAppleAttestation } from './hardware-evidence-fixtures.ts';

// Far above what any of these take (single-digit milliseconds), far below a hang.
const CALL_LIMIT_MS = 500;
const SEED = `0x${FUZZ_SEED.toString(16)}`;

type Outcome = { returned: unknown } | { threw: unknown };

interface Trial {
  label: string;
  input: unknown;
  call(): unknown;
  /** What is wrong with the outcome, if anything. */
  judge(outcome: Outcome): string | undefined;
}

const describeError = (error: unknown) =>
  error instanceof Error
    ? `${error.name}: ${error.message} ${error.stack?.split('\n')[1]?.trim() ?? ''}`
    : `non-Error ${String(error)}`;

/** Returns anything, or throws an error `refuses` accepts. */
const returnsOrRefuses =
  (refuses: (error: unknown) => boolean, returned: (value: unknown) => boolean = () => true) =>
  (outcome: Outcome): string | undefined => {
    if ('threw' in outcome) return refuses(outcome.threw) ? undefined : `threw ${describeError(outcome.threw)}`;
    return returned(outcome.returned) ? undefined : `returned ${showInput(String(outcome.returned), 100)}`;
  };
const neverThrows = returnsOrRefuses(() => false);
const malformedEvidence = (error: unknown) => error instanceof MalformedEvidence;
const malformedKeyAttestation = (error: unknown) => error instanceof MalformedKeyAttestation;

async function fuzz(
  t: TestContext,
  watchdog: Watchdog,
  target: string,
  cases: number,
  make: (rng: Random) => Promise<Trial> | Trial,
) {
  const failures: string[] = [];
  const started = performance.now();
  let slowest = 0;
  const thrown = new Map<string, number>();
  for (let index = 0; index < cases; index++) {
    const where = `seed=${SEED} ${target}#${index}`;
    watchdog.beat(`${where} (generating)`);
    const trial = await make(caseRandom(FUZZ_SEED, target, index));
    const input = `input: ${showInput(trial.input instanceof Uint8Array ? trial.input : (JSON.stringify(trial.input) ?? String(trial.input)))}`;
    watchdog.beat(`${where} (${trial.label}) ${input}`);
    const callStarted = performance.now();
    let outcome: Outcome;
    try {
      outcome = { returned: await trial.call() };
    } catch (threw) {
      outcome = { threw };
      const name = threw instanceof Error ? threw.name : typeof threw;
      thrown.set(name, (thrown.get(name) ?? 0) + 1);
    }
    const ms = performance.now() - callStarted;
    slowest = Math.max(slowest, ms);
    const problem = trial.judge(outcome) ?? (ms > CALL_LIMIT_MS ? `took ${Math.round(ms)} ms` : undefined);
    if (problem) failures.push(`${where} (${trial.label}): ${problem}\n    ${input}`);
  }
  const elapsed = Math.round(performance.now() - started);
  const throws = [...thrown].map(([name, count]) => `${count}× ${name}`).join(', ') || 'none';
  t.diagnostic(`${target}: ${cases} cases in ${elapsed} ms, slowest call ${slowest.toFixed(1)} ms; thrown: ${throws}`);
  assert.equal(
    failures.length,
    0,
    `${failures.length} of ${cases} cases failed; replay with PORTCULLIS_FUZZ_SEED=${SEED}\n${failures.slice(0, 10).join('\n')}`,
  );
}

/** CBOR for the App Attest decoders: random, mutated genuine objects, deep nesting, oversize, not bytes. */
function cborInput(rng: Random, genuine: readonly Uint8Array[]): { label: string; input: unknown } {
  switch (rng.below(8)) {
    case 0:
      return { label: 'random bytes', input: rng.bytes(rng.between(0, 512)) };
    case 1:
    case 2: {
      const { bytes, how } = mutateCbor(rng, rng.pick(genuine));
      return { label: how, input: bytes };
    }
    case 3: {
      const once = mutateCbor(rng, rng.pick(genuine));
      const twice = mutateCbor(rng, once.bytes);
      return { label: `${once.how}, then ${twice.how}`, input: twice.bytes };
    }
    case 4: {
      const { bytes, how } = mutateCbor(rng, smallAttestationObject(rng));
      return { label: `small map: ${how}`, input: bytes };
    }
    case 5: {
      const depth = rng.pick([10_000, 30_000, MAX_CBOR_BYTES - 1]);
      const input = rng.pick([
        () => deepCborArrays(depth),
        () => deepCborMaps(Math.floor(depth / 3)),
        () => Buffer.concat([Buffer.alloc(depth, 0x9f), Buffer.alloc(depth, 0xff)]).subarray(0, MAX_CBOR_BYTES),
        () => Buffer.concat([Buffer.of(0xa1, 0x61, 0x61), deepCborArrays(depth)]).subarray(0, MAX_CBOR_BYTES),
      ])();
      return { label: `nested ${depth} deep`, input };
    }
    case 6:
      return { label: 'over the size limit', input: Buffer.concat([rng.pick(genuine), Buffer.alloc(MAX_CBOR_BYTES)]) };
    default:
      return {
        label: 'not a byte string',
        input: rng.pick<unknown>([hostileValue(rng), new ArrayBuffer(8), new Uint16Array(4), new DataView(new ArrayBuffer(4))]),
      };
  }
}

/** DER for the certificate readers: random, truncated, mutated, inflated, deep, bombs. */
function derInput(rng: Random, genuine: readonly Uint8Array[]): { label: string; der: Uint8Array } {
  const source = rng.pick(genuine);
  switch (rng.below(7)) {
    case 0:
      return { label: 'random DER', der: rng.bytes(rng.between(0, 3000)) };
    case 1: {
      const keep = rng.below(source.length);
      return { label: `truncated to ${keep}`, der: source.subarray(0, keep) };
    }
    case 2:
    case 3: {
      const { bytes, how } = mutateBytes(rng, source);
      return { label: how, der: bytes };
    }
    case 4: {
      const { bytes, how } = inflateDerLength(rng, source);
      return { label: how, der: bytes };
    }
    case 5: {
      const depth = rng.pick([100, 2000, 5000, 12_000]);
      return { label: `${depth} nested`, der: nestDer(rng.pick([0x30, 0x24, 0x04, 0xa3]), depth) };
    }
    default: {
      const count = rng.between(100, 6000);
      return { label: `OCTET STRING bomb of ${count}`, der: octetStringBomb(count) };
    }
  }
}

describe('attestation decoders under fuzzed input (issue #4)', { timeout: 120_000 }, () => {
  let material: FuzzMaterial;
  let watchdog: Watchdog;
  let appleObjects: Uint8Array[];
  let appleGenuine: { keyId: Buffer; attestation: Uint8Array; clientDataHash: Buffer };
  let androidChain: string[];
  let androidChallenge: Buffer;
  let certificates: Uint8Array[];
  before(async () => {
    material = await makeFuzzMaterial(await makeTestPki());
    const client = encodeClientData({ nonce: 'n', jkt: material.instance.jkt, app_id: APPLE_APP });
    const apple = await makeAppleAttestation({
      intermediate: material.pki.apple.intermediate,
      appId: APPLE_APP,
      clientDataHash: client.hash,
    });
    appleGenuine = { ...apple, clientDataHash: client.hash };
    appleObjects = [apple.attestation, material.realAppleAttestation];
    androidChallenge = encodeClientData({ nonce: 'n', jkt: material.instance.jkt, app_id: ANDROID_APP }).hash;
    androidChain = await makeAndroidChain(
      material.pki.android.root,
      androidLeaf(material.pki, material.instance, androidChallenge),
    );
    certificates = [...androidChain, ...material.realAndroidChain].map(derOf);
    watchdog = startWatchdog(15_000);
  });
  after(() => watchdog?.stop());

  it('decodeCborMap: a Map or MalformedEvidence', (t) =>
    fuzz(t, watchdog, 'decodeCborMap', 2500, (rng) => {
      const { label, input } = cborInput(rng, appleObjects);
      return {
        label,
        input,
        call: () => decodeCborMap(input),
        judge: returnsOrRefuses(malformedEvidence, (map) => map instanceof Map),
      };
    }));

  // Documented to throw MalformedEvidence, but a credential certificate that parses with a key
  // OpenSSL cannot decode throws from X509Certificate#publicKey as a plain Error; its one caller,
  // verifyAppleAttestation, maps every throw to `malformed` (checked below), so no request fails.
  it('readAttestationObject: an attestation object, or an Error', (t) =>
    fuzz(t, watchdog, 'readAttestationObject', 1500, (rng) => {
      const { label, input } = cborInput(rng, appleObjects);
      return { label, input, call: () => readAttestationObject(input), judge: returnsOrRefuses((e) => e instanceof Error) };
    }));

  it('parseAttestedAuthenticatorData: fields or MalformedEvidence', (t) =>
    fuzz(t, watchdog, 'parseAttestedAuthenticatorData', 1500, (rng) => {
      const input = rng.bytes(rng.between(0, 120));
      if (input.length > 32 && rng.chance(0.7)) input[32] = (input[32] ?? 0) | 0x40;
      return {
        label: `${input.length} bytes`,
        input,
        call: () => parseAttestedAuthenticatorData(input),
        judge: returnsOrRefuses(malformedEvidence),
      };
    }));

  it('verifyAppleAttestation: resolves (malformed or a list of reasons), never rejects', (t) =>
    fuzz(t, watchdog, 'verifyAppleAttestation', 500, async (rng) => {
      const { kind, bytes } = await brokenAttestationObject(rng, material, appleGenuine.attestation);
      const hostile = rng.chance(0.1);
      const input = {
        attestation: bytes,
        keyId: hostile ? hostileValue(rng) : appleGenuine.keyId,
        clientDataHash: rng.chance(0.8) ? appleGenuine.clientDataHash : rng.bytes(rng.below(64)),
        appId: hostile && rng.chance(0.5) ? hostileValue(rng) : APPLE_APP,
        environment: 'either',
        roots: [material.pki.apple.root.pem],
      } as Parameters<typeof verifyAppleAttestation>[0];
      return { label: kind, input: bytes, call: () => verifyAppleAttestation(input), judge: neverThrows };
    }));

  it('readNonceExtension: the nonce or MalformedEvidence', (t) =>
    fuzz(t, watchdog, 'readNonceExtension', 300, async (rng) => {
      const leaf = readAttestationObject(appleGenuine.attestation).x5c[0]?.raw ?? Buffer.alloc(0);
      let label: string;
      let input: Uint8Array;
      if (rng.chance(0.5)) {
        const { bytes, how } = hostileDer(rng, material.appleNonceExtension);
        const certificate = await certificateWith(material.pki.apple.intermediate, material.instance, APPLE_NONCE_OID, bytes);
        label = `extension: ${how}`;
        input = new Uint8Array(certificate.rawData);
      } else ({ label, der: input } = derInput(rng, [leaf]));
      return { label, input, call: () => readNonceExtension(input), judge: returnsOrRefuses(malformedEvidence) };
    }));

  it('readCertificate: a certificate or MalformedKeyAttestation', (t) =>
    fuzz(t, watchdog, 'readCertificate', 2000, (rng) => {
      const { label, der } = derInput(rng, certificates);
      const roll = rng.below(10);
      const input = roll < 6 ? pem(der) : roll < 9 ? brokenPem(rng, rng.pick(certificates)).text : hostileValue(rng);
      return { label, input, call: () => readCertificate(input), judge: returnsOrRefuses(malformedKeyAttestation) };
    }));

  it('readCertificateChain: certificates or MalformedKeyAttestation', (t) =>
    fuzz(t, watchdog, 'readCertificateChain', 400, async (rng) => {
      const { kind, chain } = await brokenChain(rng, material, androidChain);
      return {
        label: kind,
        input: chain,
        call: () => readCertificateChain(chain),
        judge: returnsOrRefuses(malformedKeyAttestation),
      };
    }));

  // Documented to throw MalformedKeyAttestation, but the ASN.1 parser's own errors (nesting depth,
  // schema mismatch) pass through as plain Errors; its one caller maps every throw to `malformed`.
  it('readKeyDescription: facts, or an Error', (t) =>
    fuzz(t, watchdog, 'readKeyDescription', 300, async (rng) => {
      const { bytes, how } = hostileDer(rng, material.keyDescription);
      const leaf = await certificateWith(material.pki.android.intermediate, material.instance, KEY_DESCRIPTION_OID, bytes);
      const chain = [new X509Certificate(new Uint8Array(leaf.rawData))];
      return {
        label: how,
        input: bytes,
        call: () => readKeyDescription(chain),
        judge: returnsOrRefuses((e) => e instanceof Error),
      };
    }));

  it('verifyAndroidKeyAttestation: resolves (malformed or a list of reasons), never rejects', (t) =>
    fuzz(t, watchdog, 'verifyAndroidKeyAttestation', 400, async (rng) => {
      const { kind, chain } = await brokenChain(rng, material, androidChain);
      const input = { chain: chain as string[], challenge: androidChallenge, roots: [material.pki.android.root.pem] };
      return { label: kind, input: chain, call: () => verifyAndroidKeyAttestation(input), judge: neverThrows };
    }));

  it('readAppleEvidence and readAndroidEvidence: evidence or undefined, never a throw', (t) =>
    fuzz(t, watchdog, 'readHardwareEvidence', 1500, (rng) => {
      const claims = { nonce: b64url(rng.bytes(32)), jkt: material.instance.jkt, app_id: APPLE_APP };
      const apple = rng.chance(0.5);
      const doc: Record<string, unknown> = apple
        ? { key_id: appleGenuine.keyId.toString('base64'), attestation: 'o2Nm', client_data: b64url(JSON.stringify(claims)) }
        : { chain: androidChain, client_data: b64url(JSON.stringify({ ...claims, app_id: ANDROID_APP })) };
      let label: string;
      let evidence: string;
      if (rng.chance(0.4)) {
        const { kind, value } = brokenClientData(rng, claims);
        [label, evidence] = [`client_data: ${kind}`, JSON.stringify({ ...doc, client_data: value })];
      } else if (apple && rng.chance(0.3)) {
        const member = rng.pick(['key_id', 'attestation']);
        [label, evidence] = [`${member}: bad base64`, JSON.stringify({ ...doc, [member]: BAD_BASE64(rng, String(doc[member])) })];
      } else ({ kind: label, evidence } = brokenDocument(rng, doc));
      const read = apple ? readAppleEvidence : readAndroidEvidence;
      return { label, input: evidence, call: () => read(evidence), judge: neverThrows };
    }));

  it('verifySoftwareEvidence: resolves, never rejects', (t) =>
    fuzz(t, watchdog, 'verifySoftwareEvidence', 1000, async (rng) => {
      const { kind, evidence } = await softwareEvidence(rng, material);
      return { label: kind, input: evidence, call: () => verifySoftwareEvidence(evidence), judge: neverThrows };
    }));
});
