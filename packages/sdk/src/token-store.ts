import { base64url } from 'jose';

/**
 * Standard claims of the signed-in person (OIDC Core §5.1), from the ID token or UserInfo.
 *
 * @example
 * const name = (await portcullis.session())?.user?.name;
 */
export interface UserClaims {
  sub: string;
  name?: string;
  preferred_username?: string;
  email?: string;
  given_name?: string;
  family_name?: string;
}

/**
 * What a sign-in leaves behind. Times are milliseconds since the epoch.
 *
 * @example
 * const store: TokenStore = { load: async () => saved, save: async (s: StoredSession) => void (saved = s), clear: async () => void (saved = null) };
 */
export interface StoredSession {
  accessToken: string;
  /** `DPoP` when the access token is bound to the app-instance key (RFC 9449), else `Bearer`. */
  tokenType: 'DPoP' | 'Bearer';
  expiresAt: number;
  /** When the access token was obtained. */
  obtainedAt?: number;
  refreshToken?: string;
  idToken?: string;
  scope?: string;
  /** The OpenID Connect subject, when an ID token came with the tokens. */
  subject?: string;
  /** The signed-in person, when the scope had `openid`. */
  user?: UserClaims;
}

/**
 * Where the SDK keeps the signed-in session. The default encrypts it at rest with the platform's
 * storage key (AES-GCM); an app may supply its own (a native secure store).
 *
 * @example
 * const tokenStore: TokenStore = {
 *   load: async () => JSON.parse((await keychain.get('session')) ?? 'null'),
 *   save: (session) => keychain.set('session', JSON.stringify(session)),
 *   clear: () => keychain.delete('session'),
 * };
 */
export interface TokenStore {
  load(): Promise<StoredSession | null>;
  save(session: StoredSession): Promise<void>;
  clear(): Promise<void>;
}

/**
 * A small string store the SDK writes its records to (IndexedDB in browsers, files in Node). It
 * holds only ciphertext: `encryptedRecords` encrypts before anything reaches it.
 *
 * @example
 * const map = new Map<string, string>();
 * const records: RecordStore = {
 *   get: async (name) => map.get(name) ?? null,
 *   set: async (name, value) => void map.set(name, value),
 *   delete: async (name) => void map.delete(name),
 * };
 */
export interface RecordStore {
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

/**
 * A record store in memory: nothing survives the process.
 *
 * @example
 * const platform = { ...memoryPlatform(), records: memoryRecordStore() };
 */
export function memoryRecordStore(): RecordStore {
  const map = new Map<string, string>();
  return {
    get: async (name) => map.get(name) ?? null,
    set: async (name, value) => {
      map.set(name, value);
    },
    delete: async (name) => {
      map.delete(name);
    },
  };
}

const IV_BYTES = 12;

/** JSON records encrypted with AES-GCM, the record's name bound in as additional data. */
export interface EncryptedRecords {
  read<T>(name: string): Promise<T | null>;
  write(name: string, value: unknown): Promise<void>;
  remove(name: string): Promise<void>;
}

/**
 * Encrypts every record with AES-GCM under `key` (a fresh 96-bit IV each write, NIST SP 800-38D
 * §8.2.2) before it reaches `records`. A record that does not decrypt (another key, tampering)
 * reads as absent and is removed.
 *
 * @example
 * const records = encryptedRecords(platform.records, () => platform.keyStore.storageKey());
 * await records.write('draft', { text: 'hello' });
 */
export function encryptedRecords(records: RecordStore, key: () => Promise<CryptoKey>): EncryptedRecords {
  const encoder = new TextEncoder();
  return {
    async read<T>(name: string): Promise<T | null> {
      const stored = await records.get(name);
      if (stored === null) return null;
      try {
        const bytes = new Uint8Array(base64url.decode(stored));
        const plain = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES), additionalData: encoder.encode(name) },
          await key(),
          bytes.subarray(IV_BYTES),
        );
        return JSON.parse(new TextDecoder().decode(plain)) as T;
      } catch {
        await records.delete(name);
        return null;
      }
    },
    async write(name: string, value: unknown): Promise<void> {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const sealed = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: encoder.encode(name) },
        await key(),
        encoder.encode(JSON.stringify(value)),
      );
      const bytes = new Uint8Array(IV_BYTES + sealed.byteLength);
      bytes.set(iv);
      bytes.set(new Uint8Array(sealed), IV_BYTES);
      await records.set(name, base64url.encode(bytes));
    },
    remove: (name: string) => records.delete(name),
  };
}

/**
 * The default token store: the session as one AES-GCM encrypted record.
 *
 * @example
 * const store = encryptedTokenStore(encryptedRecords(memoryRecordStore(), keyStore.storageKey));
 * await store.save({ accessToken, tokenType: 'DPoP', expiresAt: Date.now() + 300_000 });
 */
export function encryptedTokenStore(records: EncryptedRecords, name = 'session'): TokenStore {
  return {
    load: () => records.read<StoredSession>(name),
    save: (session) => records.write(name, session),
    clear: () => records.remove(name),
  };
}
