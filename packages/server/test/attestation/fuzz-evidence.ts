// Malformed evidence for the /attest fuzz test: each generator starts from what a genuine device
// would send (fresh challenge, client data naming the app-instance key, a chain under the test
// roots) and breaks one thing, so the fault reaches the decoder it is aimed at. Over 400 lines: one
// long list of independent mutations per format, all built on the shared genuine material above them.
import 'reflect-metadata';
import { KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import { decode, encode } from 'cborg';
import { type ProofKey, proofKey } from '../oauth/dpop/dpop-fixtures.ts';
import type { OAuthServer } from '../oauth/start-oauth-server.ts';
import { newChallenge } from './attest-fixtures.ts';
import {
  BASE64URL_ALPHABET,
  b64url,
  deepCborArrays,
  deepCborMaps,
  derOf,
  hostileDer,
  hostileValue,
  inflateDerLength,
  mutateBytes,
  mutateCbor,
  nestDer,
  nonObjectJson,
  octetStringBomb,
  pem,
  type Random,
} from './fuzz-fixtures.ts';
import {
  encodeClientData,
  makeAndroidChain,
  makeAppleAttestation,
  makeIntermediate,
  makeRoot,
  sha256,
  type TestCa,
} from './hardware-evidence-fixtures.ts';

export const APPLE_APP = 'ABCDE12345.com.example.fuzz';
export const ANDROID_APP = 'com.example.fuzz';
const SIGNING_DIGEST = sha256(Buffer.from('the fuzz app signing certificate')).toString('hex');
export const KEY_DESCRIPTION_OID = '1.3.6.1.4.1.11129.2.1.17';
export const APPLE_NONCE_OID = '1.2.840.113635.100.8.2';
const FIXTURES = new URL('../../../../../shared/fixtures/attestation/', import.meta.url);
const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface TestPki {
  apple: { root: TestCa; intermediate: TestCa };
  android: { root: TestCa; intermediate: TestCa };
}

export async function makeTestPki(): Promise<TestPki> {
  const appleRoot = await makeRoot('Fuzz App Attestation Root');
  const androidRoot = await makeRoot('Fuzz Key Attestation Root');
  return {
    apple: { root: appleRoot, intermediate: await makeIntermediate(appleRoot, 'Fuzz App Attestation CA') },
    android: { root: androidRoot, intermediate: await makeIntermediate(androidRoot, 'Fuzz Attestation Key') },
  };
}

/** Genuine material to break: keys, extension values, and real device samples. */
export interface FuzzMaterial {
  pki: TestPki;
  /** The app-instance key: DPoP proofs, `client_data.jkt`, and the Android leaf's key. */
  instance: ProofKey;
  instanceSigner: KeyObject;
  /** A genuine KeyDescription and Apple nonce extension value, to mutate. */
  keyDescription: Uint8Array;
  appleNonceExtension: Uint8Array;
  /** Real device samples (expired, other roots): more genuine shapes to break. */
  realAppleAttestation: Buffer;
  realAndroidChain: string[];
}

export interface FuzzContext extends FuzzMaterial {
  server: OAuthServer;
}

export async function makeFuzzMaterial(pki: TestPki): Promise<FuzzMaterial> {
  const instance = await proofKey();
  const android = await makeAndroidChain(pki.android.root, androidLeaf(pki, instance, Buffer.alloc(32)));
  const apple = await makeAppleAttestation({
    intermediate: pki.apple.intermediate,
    appId: APPLE_APP,
    clientDataHash: Buffer.alloc(32),
  });
  const appleLeaf = new x509.X509Certificate(readX5c(apple.attestation)[0] ?? new Uint8Array(0));
  const sample = JSON.parse(readFileSync(new URL('apple/attestation-production.json', FIXTURES), 'utf8')) as {
    attestation: string;
  };
  return {
    pki,
    instance,
    instanceSigner: KeyObject.from(instance.privateKey),
    keyDescription: extensionValue(new x509.X509Certificate(android[0] ?? ''), KEY_DESCRIPTION_OID),
    appleNonceExtension: extensionValue(appleLeaf, APPLE_NONCE_OID),
    realAppleAttestation: Buffer.from(sample.attestation, 'base64'),
    realAndroidChain: [0, 1, 2, 3].map((i) =>
      readFileSync(new URL(`android/algorithm_EC_SecurityLevel_TEE/cert${i}.pem`, FIXTURES), 'utf8'),
    ),
  };
}

export async function makeFuzzContext(server: OAuthServer, pki: TestPki): Promise<FuzzContext> {
  return { server, ...(await makeFuzzMaterial(pki)) };
}

function extensionValue(certificate: x509.X509Certificate, oid: string): Uint8Array {
  const extension = certificate.getExtension(oid);
  if (!extension) throw new Error(`the generated certificate has no ${oid}`);
  return new Uint8Array(extension.value);
}

export const androidLeaf = (pki: TestPki, key: ProofKey, challenge: Uint8Array) => ({
  intermediate: pki.android.intermediate,
  key,
  challenge,
  packageName: ANDROID_APP,
  signatureDigest: SIGNING_DIGEST,
});

function readX5c(attestation: Uint8Array): Uint8Array[] {
  const object = decode(attestation) as { attStmt: { x5c: Uint8Array[] } };
  return object.attStmt.x5c;
}

/** A certificate under `issuer` whose extension `oid` holds `value`, whatever it is. */
export async function certificateWith(
  issuer: TestCa,
  key: ProofKey,
  oid: string,
  value: Uint8Array,
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=Fuzzed Key',
    issuer: issuer.cert.subject,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + DAY),
    publicKey: key.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: P256,
    extensions: [new x509.Extension(oid, false, value)],
  });
}

export interface Evidence {
  /** What was broken, for the failure message. */
  kind: string;
  evidence: string;
}

/** A compact JWS over any header and payload text, signed by `key` with ES256 (RFC 7515 §5.1). */
export function signCompact(key: KeyObject, header: string | Uint8Array, payload: string | Uint8Array): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

const randomSegment = (rng: Random) => rng.text(rng.between(0, 300), BASE64URL_ALPHABET);

// --- software (ATTESTATION.md §2.1) --------------------------------------------------------------

function softwareClaims(rng: Random): Record<string, unknown> {
  return {
    nonce: b64url(rng.bytes(32)),
    app_id: 'com.example.fuzz',
    release: `sha256:${'cd'.repeat(32)}`,
    device_id: 'fuzz-device',
    platform: 'android',
    iat: Math.floor(Date.now() / 1000),
    signals: {},
  };
}

function softwareHeader(rng: Random, ctx: FuzzMaterial): string {
  const typ = 'portcullis-evidence+jwt';
  const { jwk } = ctx.instance;
  const variants: (() => unknown)[] = [
    () => ({ alg: 'none', typ, jwk }),
    () => ({ alg: 'HS256', typ, jwk: { kty: 'oct', k: b64url(rng.bytes(32)) } }),
    () => ({ alg: 'ES256', typ, jwk: { ...jwk, d: b64url(rng.bytes(32)) } }),
    () => ({ alg: 'ES256', typ, jwk: hostileValue(rng) }),
    () => ({ alg: hostileValue(rng), typ, jwk }),
    () => ({ alg: 'ES256', typ: hostileValue(rng), jwk }),
    () => ({ alg: 'ES256', typ, jwk, crit: ['b64'], b64: false }),
    () => ({ alg: 'ES256', typ, jwk, crit: hostileValue(rng) }),
    () => ({ alg: 'RS256', typ, jwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } }),
    () => ({ alg: 'ES256', typ, jwk: { kty: 'EC', crv: 'P-256', x: b64url(rng.bytes(32)), y: b64url(rng.bytes(32)) } }),
    () => ({
      alg: 'EdDSA',
      typ,
      jwk: { kty: 'OKP', crv: rng.pick(['Ed448', 'X25519', 'Ed25519']), x: b64url(rng.bytes(rng.between(0, 64))) },
    }),
    () => ({ alg: 'ES256', typ, jwk, [rng.text(8)]: hostileValue(rng) }),
    () => ({ alg: 'ES256', typ, jwk, padding: 'h'.repeat(rng.between(10_000, 15_000)) }),
  ];
  switch (rng.below(5)) {
    case 0:
      return nonObjectJson(rng);
    case 1:
      return `{"alg":"ES256","typ":"${typ}","jwk":${JSON.stringify(jwk)},"alg":"none"}`;
    case 2:
      return `{"alg":"ES256","nested":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    default:
      return JSON.stringify(rng.pick(variants)());
  }
}

/** `software` evidence: a JWS-ish string broken one way. */
export async function softwareEvidence(rng: Random, ctx: FuzzMaterial & { server?: OAuthServer }): Promise<Evidence> {
  const claims = softwareClaims(rng);
  const genuineHeader = JSON.stringify({ alg: 'ES256', typ: 'portcullis-evidence+jwt', jwk: ctx.instance.jwk });
  const signed = (payload: string | Uint8Array) => signCompact(ctx.instanceSigner, genuineHeader, payload);
  switch (rng.below(10)) {
    case 0:
      return { kind: 'random segments', evidence: Array.from({ length: rng.below(7) }, () => randomSegment(rng)).join('.') };
    case 1:
      return { kind: 'random text', evidence: rng.text(rng.between(1, 400)) };
    case 2:
      return {
        kind: 'genuine header, garbage payload',
        evidence: `${b64url(genuineHeader)}.${randomSegment(rng)}.${randomSegment(rng)}`,
      };
    case 3: {
      const bent = { ...claims };
      const names = [...Object.keys(claims), 'os_version', 'signals.rooted'];
      for (let i = rng.between(1, 3); i > 0; i--) {
        const name = rng.pick(names);
        if (name === 'signals.rooted') bent.signals = { rooted: hostileValue(rng) };
        else if (rng.chance(0.2)) delete bent[name];
        else bent[name] = hostileValue(rng);
      }
      if (rng.chance(0.2) && ctx.server) bent.nonce = await newChallenge(ctx.server);
      return { kind: 'signed, claims of the wrong type', evidence: signed(JSON.stringify(bent)) };
    }
    case 4: {
      const payload = rng.pick<() => string | Uint8Array>([
        () => nonObjectJson(rng),
        () => JSON.stringify(claims).slice(0, rng.below(100)),
        () => Buffer.of(0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d),
        () => `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`,
        () => '',
      ])();
      return { kind: 'signed, payload not an object', evidence: signed(payload) };
    }
    case 5:
      return {
        kind: 'bent header, genuinely signed',
        evidence: signCompact(ctx.instanceSigner, softwareHeader(rng, ctx), JSON.stringify(claims)),
      };
    case 6: {
      const chars = [...signed(JSON.stringify(claims))];
      for (let i = rng.between(1, 4); i > 0; i--) chars[rng.below(chars.length)] = rng.text(1);
      return { kind: 'genuine JWS, characters replaced', evidence: chars.join('') };
    }
    case 7: {
      const length = rng.pick([16_384, 16_385, 65_536, 65_537, 100_000]);
      return { kind: `${length} characters`, evidence: `${b64url(genuineHeader)}.`.padEnd(length, 'A') };
    }
    case 8: {
      const jws = signed(JSON.stringify(claims));
      const [protectedHeader, payload, signature] = jws.split('.');
      const wrapped = rng.pick([
        () => JSON.stringify({ protected: protectedHeader, payload, signature }),
        () => ` ${jws}\n`,
        () => `${jws}.`,
        () => `.${jws}`,
        () => jws.replaceAll('.', '..'),
        () => `${jws}\u0000`,
        () => `"${jws}"`,
      ]);
      return { kind: 'genuine JWS, wrapped', evidence: wrapped() };
    }
    default:
      return { kind: 'empty', evidence: rng.pick(['', '.', '..', '...', '\u0000']) };
  }
}

// --- client data (ATTESTATION.md §2.2) ----------------------------------------------------------

/** `client_data` broken one way; `claims` are the genuine ones. */
export function brokenClientData(rng: Random, claims: Record<string, unknown>): { kind: string; value: unknown } {
  const encoded = b64url(JSON.stringify(claims));
  switch (rng.below(9)) {
    case 0:
      return { kind: 'random base64url', value: rng.text(rng.between(1, 200), BASE64URL_ALPHABET) };
    case 1: {
      const bent = { ...claims, [rng.pick(['nonce', 'jkt', 'app_id', 'device_id'])]: hostileValue(rng) };
      return { kind: 'a claim of the wrong type', value: b64url(JSON.stringify(bent)) };
    }
    case 2: {
      const bent = { ...claims };
      delete bent[rng.pick(['nonce', 'jkt', 'app_id'])];
      return { kind: 'a claim missing', value: b64url(JSON.stringify(bent)) };
    }
    case 3:
      return {
        kind: 'not base64url',
        value: rng.pick([
          `${encoded}=`,
          `${encoded}==`,
          encoded.replaceAll('-', '+').replaceAll('_', '/'),
          ` ${encoded}`,
          `${encoded}\n`,
          '====',
        ]),
      };
    case 4: {
      // The last character also carries bits past the end of the data; another value of them is non-canonical.
      const last = encoded.at(-1) ?? 'A';
      const other = BASE64URL_ALPHABET[(BASE64URL_ALPHABET.indexOf(last) ^ 1) & 63] ?? 'A';
      return { kind: 'non-canonical base64url', value: `${encoded.slice(0, -1)}${other}` };
    }
    case 5:
      return {
        kind: 'not UTF-8 / not an object',
        value: rng.pick([b64url(Buffer.of(0x7b, 0xff, 0xfe, 0x7d)), b64url(nonObjectJson(rng))]),
      };
    case 6:
      return { kind: 'over 4 KiB', value: b64url(JSON.stringify({ ...claims, pad: 'p'.repeat(rng.between(4100, 40_000)) })) };
    case 7:
      return { kind: 'unknown nonce', value: b64url(JSON.stringify({ ...claims, nonce: b64url(rng.bytes(32)) })) };
    default:
      return { kind: 'client_data of the wrong type', value: hostileValue(rng) };
  }
}

/** The evidence object with one member removed, retyped, or the whole document not an object. */
export function brokenDocument(rng: Random, doc: Record<string, unknown>): Evidence {
  const member = rng.pick(Object.keys(doc));
  switch (rng.below(4)) {
    case 0: {
      const bent = { ...doc };
      delete bent[member];
      return { kind: `no ${member}`, evidence: JSON.stringify(bent) };
    }
    case 1:
      return { kind: `${member} of the wrong type`, evidence: JSON.stringify({ ...doc, [member]: hostileValue(rng) }) };
    case 2:
      return {
        kind: 'not a JSON object',
        evidence: rng.chance(0.5) ? nonObjectJson(rng) : JSON.stringify(doc).slice(0, -rng.between(1, 20)),
      };
    default:
      return { kind: 'not JSON', evidence: rng.text(rng.between(1, 300)) };
  }
}

// --- apple-app-attest (ATTESTATION.md §2.3) -----------------------------------------------------

export const BAD_BASE64 = (rng: Random, value: string): string =>
  rng.pick([
    `${value}!`,
    `${value.slice(0, -1)}`,
    `${value}=`,
    value.replaceAll('+', '-').replaceAll('/', '_'),
    `${value.slice(0, 10)} ${value.slice(10)}`,
    '=',
    `${value}\u0000`,
  ]);

/** A small genuine-shaped attestation object, as the issue asks: easy for a mutation to reach every item. */
export function smallAttestationObject(rng: Random): Uint8Array {
  return encode({
    fmt: 'apple-appattest',
    attStmt: { x5c: [rng.bytes(rng.between(0, 64))], receipt: rng.bytes(8) },
    authData: Buffer.concat([rng.bytes(32), Buffer.of(0x40), Buffer.alloc(4), rng.bytes(16), Buffer.of(0, 32), rng.bytes(32)]),
  });
}

export async function brokenAttestationObject(
  rng: Random,
  ctx: FuzzMaterial,
  genuine: Uint8Array,
): Promise<{ kind: string; bytes: Uint8Array }> {
  const object = decode(genuine) as { fmt: string; attStmt: { x5c: Uint8Array[]; receipt: Uint8Array }; authData: Uint8Array };
  const [leaf = new Uint8Array(0), intermediate = new Uint8Array(0)] = object.attStmt.x5c;
  const withStatement = (attStmt: unknown, authData: unknown = object.authData, fmt: unknown = object.fmt) =>
    encode({ fmt, attStmt, authData });
  const cborValue = () =>
    rng.pick<unknown>([null, true, 0, -1, 2 ** 40, 1.5, '', 'apple-appattest ', new Uint8Array(0), [], {}, new Map([[1, 2]])]);
  switch (rng.below(12)) {
    case 0:
    case 1: {
      const { bytes, how } = mutateCbor(rng, genuine);
      return { kind: `CBOR mutated: ${how}`, bytes };
    }
    case 2: {
      const { bytes, how } = mutateBytes(rng, genuine);
      return { kind: `bytes mutated: ${how}`, bytes };
    }
    case 3: {
      const { bytes, how } = mutateCbor(rng, smallAttestationObject(rng));
      return { kind: `small CBOR map mutated: ${how}`, bytes };
    }
    case 4:
      return { kind: 'random bytes', bytes: rng.bytes(rng.chance(0.1) ? rng.between(20_000, 47_000) : rng.between(0, 2048)) };
    case 5: {
      const depth = rng.pick([1000, 10_000, 40_000]);
      const deep = rng.pick([
        () => deepCborArrays(depth),
        () => deepCborMaps(Math.floor(depth / 3)),
        () =>
          Buffer.concat([Buffer.of(0xa2), encode('fmt'), encode('apple-appattest'), encode('attStmt'), deepCborArrays(depth)]),
        () => Buffer.concat([Buffer.of(0xa3, 0x63), Buffer.from('fmt'), deepCborArrays(depth)]),
        () => Buffer.concat([Buffer.alloc(depth, 0x9f), Buffer.alloc(depth, 0xff)]),
        () => Buffer.concat([Buffer.alloc(depth, 0xc1), Buffer.of(0)]),
      ])();
      return { kind: `${depth} levels of nesting`, bytes: deep };
    }
    case 6:
      return { kind: 'fmt of the wrong type', bytes: withStatement(object.attStmt, object.authData, cborValue()) };
    case 7:
      return {
        kind: 'x5c broken',
        bytes: withStatement({
          ...object.attStmt,
          x5c: rng.pick<() => unknown>([
            () => [],
            () => cborValue(),
            () => [cborValue(), intermediate],
            () => [leaf.subarray(0, rng.below(leaf.length)), intermediate],
            () => [inflateDerLength(rng, leaf).bytes, intermediate],
            () => [mutateBytes(rng, leaf).bytes, intermediate],
            () => [leaf, intermediate, ...Array.from({ length: rng.between(1, 2000) }, () => new Uint8Array(0))],
            () => [nestDer(0x30, rng.between(100, 5000))],
            () => [octetStringBomb(rng.between(100, 5000))],
          ])(),
        }),
      };
    case 8: {
      const authData = rng.pick<() => unknown>([
        () => rng.bytes(rng.below(37)),
        () =>
          Buffer.concat([
            Buffer.from(object.authData).subarray(0, 32),
            Buffer.of(0x00),
            Buffer.from(object.authData).subarray(33),
          ]),
        () => Buffer.concat([Buffer.from(object.authData).subarray(0, 53), Buffer.of(0xff, 0xff)]),
        () => cborValue(),
      ])();
      return { kind: 'authData broken', bytes: withStatement(object.attStmt, authData) };
    }
    case 9:
      return {
        kind: 'statement broken',
        bytes: rng.pick([
          () => withStatement(cborValue()),
          () => withStatement({ x5c: object.attStmt.x5c }),
          () => withStatement({ ...object.attStmt, receipt: cborValue() }),
          () =>
            encode(
              new Map<unknown, unknown>([
                [1, object.fmt],
                [2, object.attStmt],
                [3, object.authData],
              ]),
            ),
          () => encode([object.fmt, object.attStmt, object.authData]),
          () =>
            Buffer.concat([
              Buffer.of(0xa4),
              Buffer.from(genuine).subarray(1),
              Buffer.from(encode('fmt')),
              Buffer.from(encode('x')),
            ]),
        ])(),
      };
    case 10: {
      const { bytes: value, how } = hostileDer(rng, ctx.appleNonceExtension);
      const hostile = await certificateWith(ctx.pki.apple.intermediate, ctx.instance, APPLE_NONCE_OID, value);
      return {
        kind: `nonce extension: ${how}`,
        bytes: withStatement({ ...object.attStmt, x5c: [new Uint8Array(hostile.rawData), intermediate] }),
      };
    }
    default:
      return { kind: 'a real device sample, mutated', bytes: mutateCbor(rng, ctx.realAppleAttestation).bytes };
  }
}

/** `apple-app-attest` evidence for a fresh challenge, broken one way. */
export async function appleEvidence(rng: Random, ctx: FuzzContext): Promise<Evidence> {
  const claims = { nonce: await newChallenge(ctx.server), jkt: ctx.instance.jkt, app_id: APPLE_APP };
  const clientData = encodeClientData(claims);
  const genuine = await makeAppleAttestation({
    intermediate: ctx.pki.apple.intermediate,
    appId: APPLE_APP,
    clientDataHash: clientData.hash,
  });
  const doc: Record<string, unknown> = {
    key_id: genuine.keyId.toString('base64'),
    attestation: Buffer.from(genuine.attestation).toString('base64'),
    client_data: clientData.encoded,
  };
  const roll = rng.below(10);
  if (roll < 6) {
    const { kind, bytes } = await brokenAttestationObject(rng, ctx, genuine.attestation);
    return { kind, evidence: JSON.stringify({ ...doc, attestation: Buffer.from(bytes).toString('base64') }) };
  }
  if (roll === 6) {
    const member = rng.pick(['key_id', 'attestation']);
    const bad = rng.chance(0.5) ? BAD_BASE64(rng, String(doc[member])) : b64url(rng.bytes(rng.between(0, 64)));
    return { kind: `${member}: bad base64 or length`, evidence: JSON.stringify({ ...doc, [member]: bad }) };
  }
  if (roll === 7) {
    const { kind, value } = brokenClientData(
      rng,
      rng.chance(0.2) ? { ...claims, app_id: rng.pick(['com.example', 'abcde12345.x', '']) } : claims,
    );
    return { kind: `client_data: ${kind}`, evidence: JSON.stringify({ ...doc, client_data: value }) };
  }
  return brokenDocument(rng, doc);
}

// --- android-key (ATTESTATION.md §2.4) ----------------------------------------------------------

export function brokenPem(rng: Random, der: Uint8Array): { kind: string; text: string } {
  const text = pem(der);
  return rng.pick([
    () => ({ kind: 'random text', text: rng.text(rng.between(0, 2000)) }),
    () => ({ kind: 'another PEM label', text: pem(der, rng.pick(['PRIVATE KEY', 'CERTIFICATE REQUEST', 'X509 CRL', ''])) }),
    () => ({
      kind: 'bad base64',
      text: text.replace(/[A-Za-z]{4}/, rng.pick(['!!!!', '====', '-_-_', '\u0000\u0000\u0000\u0000'])),
    }),
    () => ({ kind: 'two certificates in one', text: `${text}${text}` }),
    () => ({ kind: 'text around the block', text: `${rng.text(20)}\n${text}${rng.text(20)}` }),
    () => ({ kind: 'no END line', text: text.replace(/-----END CERTIFICATE-----\n$/, '') }),
    () => ({ kind: 'lower-case BEGIN', text: text.replace('BEGIN', 'begin') }),
    () => ({ kind: 'PEM over 16 KiB', text: pem(Buffer.concat([Buffer.from(der), rng.bytes(13_000)])) }),
    () => ({ kind: 'empty body', text: '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----' }),
  ])();
}

export async function brokenChain(rng: Random, ctx: FuzzMaterial, chain: string[]): Promise<{ kind: string; chain: unknown }> {
  const at = rng.below(chain.length);
  const der = derOf(chain[at] ?? '');
  const replace = (text: string) => chain.map((item, i) => (i === at ? text : item));
  switch (rng.below(12)) {
    case 0:
      return { kind: `#${at}: random DER`, chain: replace(pem(rng.bytes(rng.between(0, 3000)))) };
    case 1: {
      const source = rng.chance(0.5) ? der : derOf(rng.pick(ctx.realAndroidChain));
      const keep = rng.below(source.length);
      return { kind: `#${at}: truncated to ${keep}`, chain: replace(pem(source.subarray(0, keep))) };
    }
    case 2:
    case 3: {
      const { bytes, how } = mutateBytes(rng, der);
      return { kind: `#${at}: ${how}`, chain: replace(pem(bytes)) };
    }
    case 4: {
      const { bytes, how } = inflateDerLength(rng, der);
      return { kind: `#${at}: ${how}`, chain: replace(pem(bytes)) };
    }
    case 5: {
      const depth = rng.pick([500, 2000, 2700, 5000]);
      return { kind: `#${at}: ${depth} nested SEQUENCEs`, chain: replace(pem(nestDer(rng.pick([0x30, 0x31, 0xa0]), depth))) };
    }
    case 6: {
      const count = rng.between(100, 4000);
      return { kind: `#${at}: OCTET STRING bomb of ${count}`, chain: replace(pem(octetStringBomb(count))) };
    }
    case 7:
    case 8: {
      const { bytes: value, how } = hostileDer(rng, ctx.keyDescription);
      const leaf = await certificateWith(ctx.pki.android.intermediate, ctx.instance, KEY_DESCRIPTION_OID, value);
      return { kind: `KeyDescription: ${how}`, chain: [leaf.toString('pem'), ...chain.slice(1)] };
    }
    case 9: {
      const { kind, text } = brokenPem(rng, der);
      return { kind: `#${at}: ${kind}`, chain: replace(text) };
    }
    case 10:
      return {
        kind: 'chain of the wrong shape',
        chain: rng.pick<() => unknown>([
          () => hostileValue(rng),
          () => [],
          () => chain.slice(0, 1),
          () => Array.from({ length: 11 }, () => chain[0]),
          () => Array.from({ length: rng.between(1000, 6000) }, () => rng.text(rng.below(4))),
          () => [...chain, hostileValue(rng)],
          () => [chain],
          () => ({ ...chain }),
          () => [...chain].reverse(),
          () => ctx.realAndroidChain,
        ])(),
      };
    default: {
      const mixed = [...chain];
      mixed.splice(rng.below(mixed.length + 1), 0, rng.pick(ctx.realAndroidChain));
      return { kind: 'a real device certificate spliced in', chain: mixed };
    }
  }
}

/** `android-key` evidence for a fresh challenge and the instance key, broken one way. */
export async function androidEvidence(rng: Random, ctx: FuzzContext): Promise<Evidence> {
  const claims = { nonce: await newChallenge(ctx.server), jkt: ctx.instance.jkt, app_id: ANDROID_APP };
  const clientData = encodeClientData(claims);
  const chain = await makeAndroidChain(ctx.pki.android.root, androidLeaf(ctx.pki, ctx.instance, clientData.hash));
  const doc: Record<string, unknown> = { chain, client_data: clientData.encoded };
  const roll = rng.below(10);
  if (roll < 7) {
    const broken = await brokenChain(rng, ctx, chain);
    return { kind: broken.kind, evidence: JSON.stringify({ ...doc, chain: broken.chain }) };
  }
  if (roll === 7) {
    const { kind, value } = brokenClientData(rng, rng.chance(0.2) ? { ...claims, device_id: 'd'.repeat(129) } : claims);
    return { kind: `client_data: ${kind}`, evidence: JSON.stringify({ ...doc, client_data: value }) };
  }
  return brokenDocument(rng, doc);
}

/** Evidence that passes every check but the release (none is registered): the fuzz cases' baseline. */
export async function genuineEvidence(format: 'apple-app-attest' | 'android-key', ctx: FuzzContext): Promise<string> {
  const claims = {
    nonce: await newChallenge(ctx.server),
    jkt: ctx.instance.jkt,
    app_id: format === 'android-key' ? ANDROID_APP : APPLE_APP,
  };
  const clientData = encodeClientData(claims);
  if (format === 'android-key') {
    const chain = await makeAndroidChain(ctx.pki.android.root, androidLeaf(ctx.pki, ctx.instance, clientData.hash));
    return JSON.stringify({ chain, client_data: clientData.encoded });
  }
  const { keyId, attestation } = await makeAppleAttestation({
    intermediate: ctx.pki.apple.intermediate,
    appId: APPLE_APP,
    clientDataHash: clientData.hash,
  });
  return JSON.stringify({
    key_id: keyId.toString('base64'),
    attestation: Buffer.from(attestation).toString('base64'),
    client_data: clientData.encoded,
  });
}
