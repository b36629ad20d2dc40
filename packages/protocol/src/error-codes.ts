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
  // RFC 6750 §3.1 bearer-token errors, used by the admin API and protected resources.
  'invalid_token',
  'insufficient_scope',
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
