import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { SigningAlgorithm } from '@portcullis/protocol';
import { calculateJwkThumbprint, type JWK } from 'jose';

export interface GeneratedKey {
  kid: string;
  publicJwk: JWK;
  privateJwk: JWK;
}

function generatePair(alg: SigningAlgorithm): { publicKey: KeyObject; privateKey: KeyObject } {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
  }
}

/** A fresh key pair whose `kid` is its RFC 7638 thumbprint, so the id can never collide or lie. */
export async function generateSigningKey(alg: SigningAlgorithm): Promise<GeneratedKey> {
  const { publicKey, privateKey } = generatePair(alg);
  const pub = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  return {
    kid,
    publicJwk: { ...pub, kid, alg, use: 'sig' },
    privateJwk: { ...(privateKey.export({ format: 'jwk' }) as JWK), kid, alg },
  };
}
