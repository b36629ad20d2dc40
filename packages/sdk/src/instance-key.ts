import { calculateJwkThumbprint, type JWK } from 'jose';

/**
 * The app-instance key: one P-256 key pair per installation. It signs the attestation evidence and
 * every DPoP proof (ECDSA), and it is the key runtime secrets are encrypted to (ECDH-ES), so the
 * same private key is held twice, once per WebCrypto algorithm; both handles are non-extractable.
 *
 * @example
 * const { jkt } = await platform.keyStore.instanceKey(); // the thumbprint tokens are bound to
 */
export interface InstanceKey {
  /** ECDSA P-256: `privateKey` signs, `publicKey` verifies. */
  signing: CryptoKeyPair;
  /** ECDH P-256 private key, to decrypt runtime secrets. Null for a key that cannot agree keys (some hardware keys). */
  agreement: CryptoKey | null;
  /** The public key as a JWK (`kty`, `crv`, `x`, `y`). */
  publicJwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of `publicJwk`: the `cnf.jkt` of tokens bound to this key. */
  jkt: string;
}

/**
 * Where the app-instance key and the key that encrypts stored tokens live. The SDK ships one for
 * browsers (IndexedDB) and one for Node (a 0600 key file); a native bridge implements it over the
 * iOS Keychain / Secure Enclave or the Android Keystore.
 *
 * @example
 * const keyStore: KeyStore = {
 *   instanceKey: () => nativeBridge.loadOrCreateInstanceKey(),
 *   storageKey: () => nativeBridge.loadOrCreateAesKey(),
 *   reset: () => nativeBridge.deleteKeys(),
 * };
 */
export interface KeyStore {
  /** The app-instance key, created on first use and the same on every later call. */
  instanceKey(): Promise<InstanceKey>;
  /** An AES-GCM 256 key that encrypts what the SDK stores at rest (tokens, the pin-set version). */
  storageKey(): Promise<CryptoKey>;
  /** Forgets both keys: the next call creates new ones (a new app instance). */
  reset(): Promise<void>;
}

/** The public JWK members of a P-256 key, nothing else (RFC 7638 §3.2 order is jose's business). */
function publicMembers(jwk: JsonWebKey): JWK {
  return { kty: 'EC', crv: 'P-256', x: jwk.x as string, y: jwk.y as string };
}

/** Imports a P-256 private JWK as the two non-extractable handles of an instance key. */
export async function importInstanceKey(privateJwk: JsonWebKey): Promise<InstanceKey> {
  const publicJwk = publicMembers(privateJwk);
  const ecdsa = { name: 'ECDSA', namedCurve: 'P-256' };
  const [privateKey, publicKey, agreement, jkt] = await Promise.all([
    crypto.subtle.importKey('jwk', { ...privateJwk, key_ops: ['sign'], ext: false }, ecdsa, false, ['sign']),
    crypto.subtle.importKey('jwk', { ...publicJwk, key_ops: ['verify'] }, ecdsa, true, ['verify']),
    crypto.subtle.importKey(
      'jwk',
      { ...privateJwk, key_ops: ['deriveBits'], ext: false },
      { name: 'ECDH', namedCurve: 'P-256' },
      false,
      ['deriveBits'],
    ),
    calculateJwkThumbprint(publicJwk, 'sha256'),
  ]);
  return { signing: { privateKey, publicKey }, agreement, publicJwk, jkt };
}

/**
 * A new P-256 private key as a JWK. Only stores that must write the key somewhere themselves (a
 * key file) keep this; `createInstanceKey` drops it once the non-extractable handles exist.
 */
export async function generatePrivateJwk(): Promise<JsonWebKey> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d } as JsonWebKey;
}

/** A new instance key whose private half exists only in non-extractable handles. */
export async function createInstanceKey(): Promise<InstanceKey> {
  return importInstanceKey(await generatePrivateJwk());
}

/** A new non-extractable AES-GCM 256 key. */
export function createStorageKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']) as Promise<CryptoKey>;
}

/**
 * Keys held in memory only: a new app instance on every start. For tests and for apps that must
 * not persist anything.
 *
 * @example
 * const portcullis = createPortcullis(config, { app, platform: { ...memoryPlatform(), keyStore: memoryKeyStore() } });
 */
export function memoryKeyStore(): KeyStore {
  let instance: Promise<InstanceKey> | null = null;
  let storage: Promise<CryptoKey> | null = null;
  return {
    instanceKey: () => {
      instance ??= createInstanceKey();
      return instance;
    },
    storageKey: () => {
      storage ??= createStorageKey();
      return storage;
    },
    reset: async () => {
      instance = null;
      storage = null;
    },
  };
}
