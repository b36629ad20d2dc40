/**
 * The Portcullis client SDK. Its features (configuration string, attestation, login flows, token
 * storage, authenticated fetch, pinning) arrive with the SDK issue; today it shares the wire
 * vocabulary with the server so apps can already branch on error codes.
 */
export { type ErrorBody, type ErrorCode, isErrorCode } from '@portcullis/protocol';

/**
 * @example
 * import { SDK_VERSION } from '@portcullis/sdk';
 * console.log(SDK_VERSION); // '0.1.0'
 */
export const SDK_VERSION = '0.1.0';
