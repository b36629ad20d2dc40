export { MAX_CBOR_BYTES } from './decode-cbor-map.ts';
export type {
  AppleAssertionInput,
  AppleAssertionResult,
  AppleAttestationInput,
  AppleAttestationResult,
  AppleEnvironment,
  AppleReason,
} from './types.ts';
export { verifyAppleAssertion } from './verify-assertion.ts';
export { verifyAppleAttestation } from './verify-attestation.ts';
