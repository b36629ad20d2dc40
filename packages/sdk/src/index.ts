/**
 * The Portcullis client SDK: one config string in, secured API calls out. See packages/sdk/README.md.
 */
export { type ErrorBody, type ErrorCode, isErrorCode, type PinSetClaims, type SdkConfig } from '@portcullis/protocol';
export type { AppIdentity, AttesterInput, PlatformAttester } from './attestation.ts';
export { browserPlatform } from './browser-platform.ts';
export { AttestationError, PinMismatchError, PortcullisError, type SdkErrorCode } from './errors.ts';
export { type InstanceKey, type KeyStore, memoryKeyStore } from './instance-key.ts';
export { parseConfigString } from './parse-config.ts';
export { memoryPlatform, type Platform } from './platform.ts';
export {
  type AuthorizationAdapter,
  createPortcullis,
  Portcullis,
  type PortcullisOptions,
  type SessionInfo,
} from './portcullis.ts';
export {
  encryptedRecords,
  encryptedTokenStore,
  memoryRecordStore,
  type RecordStore,
  type StoredSession,
  type TokenStore,
  type UserClaims,
} from './token-store.ts';

/**
 * @example
 * import { SDK_VERSION } from '@portcullis/sdk';
 * console.log(SDK_VERSION); // '0.1.0'
 */
export const SDK_VERSION = '0.1.0';
