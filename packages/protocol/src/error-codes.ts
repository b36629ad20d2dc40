/**
 * Every error code Portcullis puts on the wire, shared by the server, the SDK and the CLI.
 * Codes are never renamed once shipped; add new ones at the end of their group.
 */
export const ERROR_CODES = [
  // General JSON endpoints: `{"error": code, "error_description": sentence}`.
  'invalid_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'server_error',
  'service_unavailable',
  'bad_gateway',
  'gateway_timeout',
  // RFC 6750 §3.1 bearer-token errors, used by the admin API and protected resources.
  'invalid_token',
  'insufficient_scope',
  // RFC 6749 §4.1.2.1 and §5.2, RFC 8707 §2, RFC 9449 §5 and §8, RFC 7591 §3.2.2, OIDC Core §3.1.2.6.
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'access_denied',
  'unsupported_response_type',
  'temporarily_unavailable',
  'invalid_target',
  'invalid_dpop_proof',
  'use_dpop_nonce',
  'invalid_redirect_uri',
  'invalid_client_metadata',
  'login_required',
  'consent_required',
  'interaction_required',
  // App attestation (packages/protocol/ATTESTATION.md).
  'attestation_failed',
  'attestation_required',
  'attestation_invalid',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The body every non-OAuth JSON endpoint answers with on error. */
export interface ErrorBody {
  error: ErrorCode;
  error_description: string;
  /** Present on 5xx answers so an operator can find the cause in the log. */
  request_id?: string;
}

/**
 * @example
 * isErrorCode('not_found') // true
 */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
