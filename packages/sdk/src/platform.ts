import type { PinSetClaims } from '@portcullis/protocol';
import { type KeyStore, memoryKeyStore } from './instance-key.ts';
import { memoryRecordStore, type RecordStore } from './token-store.ts';

/**
 * What the SDK needs from the platform it runs on. `browserPlatform()` and `nodePlatform()`
 * (from `@portcullis/sdk/node`) are the built-in ones; a React Native bridge supplies its own.
 *
 * @example
 * const platform: Platform = { name: 'android', keyStore: androidKeyStore, records: secureRecords, fetch };
 */
export interface Platform {
  /** The `platform` claim of `software` evidence. */
  name: 'web' | 'node' | 'android' | 'ios';
  osVersion?: string;
  keyStore: KeyStore;
  records: RecordStore;
  fetch: typeof fetch;
  /**
   * Receives every verified pin set. A platform that controls its TLS connections (Node) refuses
   * connections to pinned hosts whose keys do not match from then on.
   */
  enforcePins?(pins: PinSetClaims): void;
}

/**
 * Keys and records in memory only: every start is a new app instance. For tests and short-lived
 * scripts.
 *
 * @example
 * const portcullis = createPortcullis(configString, { app, platform: memoryPlatform() });
 */
export function memoryPlatform(name: Platform['name'] = 'node'): Platform {
  return { name, keyStore: memoryKeyStore(), records: memoryRecordStore(), fetch: globalThis.fetch.bind(globalThis) };
}
