export { loadGoogleRoots, readGoogleRootPems } from './google-roots.ts';
export { MAX_CHAIN_LENGTH, MAX_PEM_LENGTH, splitPemBundle } from './read-pem-certificates.ts';
export { normalizeSerial, parseRevocationStatusList } from './revocation-status-list.ts';
export type {
  AndroidKeyFacts,
  AndroidKeyInput,
  AndroidKeyResult,
  AndroidReason,
  SecurityLevelName,
  VerifiedBootStateName,
} from './types.ts';
export { verifyAndroidKeyAttestation } from './verify-android-key-attestation.ts';
