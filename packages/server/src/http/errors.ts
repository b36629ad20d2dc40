import type { ErrorCode } from '@portcullis/protocol';

/**
 * An error with a wire code. `description` is public (it goes in `error_description`);
 * `detail` is private and only ever reaches the log.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly description: string;
  readonly detail: string | undefined;
  /** Extra response headers, e.g. the `WWW-Authenticate` challenge of RFC 6749 §5.2. */
  headers: Record<string, string> = {};
  constructor(status: number, code: ErrorCode, description: string, detail?: string) {
    super(description);
    this.status = status;
    this.code = code;
    this.description = description;
    this.detail = detail;
  }
}

/** An OAuth 2.0 error (RFC 6749 §5.2, RFC 6750 §3.1, RFC 9449 §5): the body is `{error, error_description}`. */
export class OAuthError extends HttpError {
  override name = 'OAuthError';
  constructor(code: ErrorCode, description: string, status = 400, detail?: string) {
    super(status, code, description, detail);
  }
}

export class InvalidRequest extends HttpError {
  override name = 'InvalidRequest';
  constructor(description: string, detail?: string) {
    super(400, 'invalid_request', description, detail);
  }
}
export class InvalidToken extends HttpError {
  override name = 'InvalidToken';
  constructor(description: string, detail?: string) {
    super(401, 'invalid_token', description, detail);
  }
}
export class Forbidden extends HttpError {
  override name = 'Forbidden';
  constructor(description: string, detail?: string) {
    super(403, 'forbidden', description, detail);
  }
}
export class NotFound extends HttpError {
  override name = 'NotFound';
  constructor(description: string, detail?: string) {
    super(404, 'not_found', description, detail);
  }
}
export class Conflict extends HttpError {
  override name = 'Conflict';
  constructor(description: string, detail?: string) {
    super(409, 'conflict', description, detail);
  }
}
export class ServiceUnavailable extends HttpError {
  override name = 'ServiceUnavailable';
  constructor(description: string, detail?: string) {
    super(503, 'service_unavailable', description, detail);
  }
}
