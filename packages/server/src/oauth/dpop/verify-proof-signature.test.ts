import assert from 'node:assert/strict';
import { KeyObject, randomBytes, sign } from 'node:crypto';
import { test } from 'node:test';
import { type CryptoKey, EmbeddedJWK, exportJWK, generateKeyPair, type JWK, jwtVerify, SignJWT } from 'jose';
import { DPOP_ALGS, verifyProofSignature } from './verify-proof-signature.ts';

// The gateway's proof check (node:crypto, one key import per header) must accept exactly what
// jose's jwtVerify with the embedded JWK accepts. Valid proofs in every family, then mutations
// of them, each judged by both.

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

async function joseAccepts(proof: string): Promise<boolean> {
  try {
    await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGS });
    return true;
  } catch {
    return false;
  }
}

async function oursAccepts(proof: string): Promise<boolean> {
  try {
    await verifyProofSignature(proof);
    return true;
  } catch {
    return false;
  }
}

interface Signer {
  alg: string;
  jwk: JWK;
  privateKey: CryptoKey;
}

/** Signs any header, including ones jose would not produce (unknown `crit`). */
function rawProof(s: Signer, header: Record<string, unknown>, payloadSegment: string): string {
  const input = `${b64(header)}.${payloadSegment}`;
  const key = KeyObject.from(s.privateKey as never);
  const how: Record<string, Parameters<typeof sign>[0]> = {
    ES256: 'sha256',
    ES384: 'sha384',
    ES512: 'sha512',
    EdDSA: null,
    RS256: 'sha256',
  };
  if (!(s.alg in how)) return `${input}.AAAA`;
  const options = s.alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  return `${input}.${sign(how[s.alg] ?? null, Buffer.from(input), options).toString('base64url')}`;
}

async function signer(alg: string, options: Parameters<typeof generateKeyPair>[1] = {}): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...options });
  return { alg, jwk: await exportJWK(publicKey), privateKey };
}

const proofBy = (s: Signer, header: Record<string, unknown> = {}, claims: Record<string, unknown> = {}) =>
  new SignJWT({ jti: randomBytes(12).toString('base64url'), htm: 'GET', htu: 'https://api.example/x', iat: now(), ...claims })
    .setProtectedHeader({ alg: s.alg, typ: 'dpop+jwt', jwk: s.jwk, ...header } as { alg: string })
    .sign(s.privateKey);

test('agrees with jose on valid proofs and on every mutation of them', async () => {
  const signers = [
    await signer('ES256'),
    await signer('ES384'),
    await signer('ES512'),
    await signer('EdDSA'),
    await signer('RS256', { modulusLength: 2048 }),
    await signer('PS256', { modulusLength: 2048 }),
  ];
  const weak = await signer('RS256', { modulusLength: 1024 }).catch(() => undefined);
  let compared = 0;
  for (const s of signers) {
    const valid = await proofBy(s);
    assert.equal(await oursAccepts(valid), true, `${s.alg}: a valid proof`);
    assert.equal(await joseAccepts(valid), true);
    const [h, p, sig] = valid.split('.') as [string, string, string];
    const other = signers.find((o) => o !== s) as Signer;
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
    const variants: string[] = [
      `${h}.${p}.${sig.slice(0, -2)}`,
      `${h}.${p}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`,
      `${h}.${b64({ jti: 'x', htm: 'GET', htu: 'https://api.example/x', iat: now() })}.${sig}`,
      `${h}.${p}.`,
      `${h}.${p}`,
      `${h}.${p}.${sig}.x`,
      `${h}..${sig}`,
      `${b64({ ...header, typ: 'JWT' })}.${p}.${sig}`,
      `${b64({ ...header, alg: 'none' })}.${p}.`,
      `${b64({ ...header, jwk: other.jwk })}.${p}.${sig}`,
      `${h}.${p} .${sig}`,
      await proofBy(s, { typ: 'application/dpop+jwt' }),
      await proofBy(s, { typ: 'DPoP+JWT' }),
      await proofBy(s, { typ: 'at+jwt' }),
      await proofBy(s, { crit: ['b64'], b64: true }),
      await proofBy(s, { b64: false }),
      rawProof(s, { ...header, crit: ['exp'], exp: 1 }, p),
      rawProof(s, { ...header, crit: ['b64'], b64: false }, p),
      rawProof(s, { ...header, crit: ['b64'], b64: 'yes' }, p),
      rawProof(s, { ...header, crit: [] }, p),
      rawProof(s, { ...header, crit: ['b64'] }, p),
      await proofBy(s, { jwk: { ...s.jwk, d: 'AAAA' } }),
      await proofBy(s, { jwk: other.jwk }),
      await proofBy(s, {}, { exp: now() - 10 }),
      await proofBy(s, {}, { exp: now() + 60 }),
      await proofBy(s, {}, { nbf: now() + 60 }),
      await proofBy(s, {}, { exp: 'soon' }),
    ];
    // Payloads that are not JSON objects, correctly signed.
    for (const body of ['[1,2]', 'null', '"text"', '{"a":', '{}']) {
      const input = `${h}.${b64(body)}`;
      const signed = await new SignJWT({}).setProtectedHeader(header as { alg: string }).sign(s.privateKey);
      variants.push(`${input}.${signed.split('.')[2]}`);
    }
    for (const variant of variants) {
      const signatureSegment = variant.split('.')[2];
      // A re-spelling of the same signature bytes is the deliberate difference tested below.
      if (signatureSegment && Buffer.from(signatureSegment, 'base64url').toString('base64url') !== signatureSegment) continue;
      assert.equal(
        await oursAccepts(variant),
        await joseAccepts(variant),
        `${s.alg} variant ${variants.indexOf(variant)}: ${variant
          .split('.')
          .slice(0, 2)
          .map((x) => Buffer.from(x, 'base64url').toString())
          .join(' . ')}`,
      );
      compared += 1;
    }
  }
  // The deliberate differences: RFC 7515 §2 base64url has no padding and one spelling (unused bits
  // zero, RFC 4648 §3.5); jose tolerates '=' and other spellings of the last character, we refuse both.
  const sample = await proofBy(signers[0] as Signer);
  assert.equal(await oursAccepts(`${sample}==`), false);
  const last = sample.at(-1) as string;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const sameBytes = [...alphabet].filter(
    (c) =>
      c !== last &&
      Buffer.from(`${sample.slice(0, -1)}${c}`.split('.')[2] as string, 'base64url').equals(
        Buffer.from(sample.split('.')[2] as string, 'base64url'),
      ),
  );
  assert.ok(sameBytes.length > 0, 'an ES256 signature has other spellings of its last character');
  for (const c of sameBytes) {
    const respelled = `${sample.slice(0, -1)}${c}`;
    assert.equal(await joseAccepts(respelled), true);
    assert.equal(await oursAccepts(respelled), false);
  }
  if (weak) {
    const proof = await proofBy(weak);
    assert.equal(await oursAccepts(proof), false, 'a 1024-bit RSA key is refused');
    assert.equal(await joseAccepts(proof), false);
  }
  assert.ok(compared > 150);
});

test('random bit flips anywhere in a proof: both refuse, or both accept', async () => {
  const s = await signer('ES256');
  const valid = await proofBy(s);
  let state = 12345;
  const rand = (n: number) => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
  for (let i = 0; i < 300; i++) {
    const chars = valid.split('');
    const at = rand(chars.length);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    chars[at] = alphabet[rand(alphabet.length)] as string;
    const mutated = chars.join('');
    const [, , sig] = mutated.split('.');
    // Re-spellings of the same signature bytes are the deliberate difference tested above.
    if (sig !== undefined && Buffer.from(sig, 'base64url').toString('base64url') !== sig) continue;
    assert.equal(await oursAccepts(mutated), await joseAccepts(mutated), mutated);
  }
});
