import { createInstanceKey, createStorageKey, type InstanceKey, type KeyStore } from './instance-key.ts';
import type { Platform } from './platform.ts';
import type { RecordStore } from './token-store.ts';

const STORE = 'portcullis';
const INSTANCE_KEY = 'key:instance';
const STORAGE_KEY = 'key:storage';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openDatabase(name: string): Promise<IDBDatabase> {
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  return request(open);
}

/**
 * IndexedDB holds the CryptoKey objects themselves (structured clone keeps them non-extractable:
 * no script, this SDK included, can read the private key bytes) and the encrypted records.
 */
function indexedDbStores(databaseName: string): { keyStore: KeyStore; records: RecordStore } {
  let database: Promise<IDBDatabase> | null = null;
  const db = () => {
    database ??= openDatabase(databaseName);
    return database;
  };
  const get = async <T>(key: string): Promise<T | undefined> =>
    request((await db()).transaction(STORE).objectStore(STORE).get(key) as IDBRequest<T | undefined>);
  const put = async (key: string, value: unknown) => {
    await request((await db()).transaction(STORE, 'readwrite').objectStore(STORE).put(value, key));
  };
  const remove = async (key: string) => {
    await request((await db()).transaction(STORE, 'readwrite').objectStore(STORE).delete(key));
  };
  /** Creates the value only if no other tab did first (`add` refuses an existing key), then reads the winner. */
  const getOrCreate = async <T>(key: string, create: () => Promise<T>): Promise<T> => {
    const existing = await get<T>(key);
    if (existing !== undefined) return existing;
    const fresh = await create();
    try {
      await request((await db()).transaction(STORE, 'readwrite').objectStore(STORE).add(fresh, key));
      return fresh;
    } catch {
      const winner = await get<T>(key);
      if (winner === undefined) throw new Error('IndexedDB refused to store the app-instance key');
      return winner;
    }
  };
  let instance: Promise<InstanceKey> | null = null;
  let storage: Promise<CryptoKey> | null = null;
  return {
    keyStore: {
      instanceKey: () => {
        instance ??= getOrCreate(INSTANCE_KEY, createInstanceKey);
        return instance;
      },
      storageKey: () => {
        storage ??= getOrCreate(STORAGE_KEY, createStorageKey);
        return storage;
      },
      reset: async () => {
        instance = null;
        storage = null;
        await Promise.all([remove(INSTANCE_KEY), remove(STORAGE_KEY)]);
      },
    },
    records: {
      get: async (name) => (await get<string>(`record:${name}`)) ?? null,
      set: (name, value) => put(`record:${name}`, value),
      delete: (name) => remove(`record:${name}`),
    },
  };
}

/**
 * The browser platform: the app-instance key and the storage key are non-extractable WebCrypto
 * keys in IndexedDB, the session is AES-GCM encrypted there too; never `localStorage`.
 *
 * @example
 * const portcullis = createPortcullis(configString, { app, platform: browserPlatform() });
 */
export function browserPlatform(options: { databaseName?: string } = {}): Platform {
  const { keyStore, records } = indexedDbStores(options.databaseName ?? 'portcullis');
  return { name: 'web', keyStore, records, fetch: globalThis.fetch.bind(globalThis) };
}
