import type { AttestationReason, ErrorCode } from '@portcullis/protocol';

/**
 * Codes of failures the SDK finds itself, before or without a server answer.
 *
 * @example
 * if ((error as PortcullisError).code === ('pin_mismatch' satisfies SdkErrorCode)) warnAboutNetwork();
 */
export type SdkErrorCode =
  | 'invalid_config'
  | 'network_error'
  | 'pin_mismatch'
  | 'pin_set_invalid'
  | 'not_signed_in'
  | 'invalid_response'
  | 'authorization_failed';

/**
 * Every error the SDK throws. `code` is one of the shared wire codes of `@portcullis/protocol`
 * when the server answered with one (`invalid_grant`, `attestation_failed`, ...), else one of the
 * SDK's own (`pin_mismatch`, `not_signed_in`, ...). Messages never carry tokens or secrets.
 *
 * @example
 * try {
 *   await portcullis.signInWithPassword('alice', 'wrong');
 * } catch (error) {
 *   if (error instanceof PortcullisError && error.code === 'invalid_grant') showWrongPassword();
 * }
 */
export class PortcullisError extends Error {
  override readonly name: string = 'PortcullisError';
  readonly code: ErrorCode | SdkErrorCode;
  /** The HTTP status of the server's answer, when there was one. */
  readonly status: number | undefined;

  constructor(code: ErrorCode | SdkErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
  }
}

/**
 * The server refused the app's attestation. `reasons` lists why (`app_unregistered`, `rooted`, ...)
 * when the server's policy shares them, and is empty when it hides them.
 *
 * @example
 * try {
 *   await portcullis.attest();
 * } catch (error) {
 *   if (error instanceof AttestationError) console.log(error.reasons); // ['app_unregistered']
 * }
 */
export class AttestationError extends PortcullisError {
  override readonly name: string = 'AttestationError';
  readonly reasons: readonly AttestationReason[];

  constructor(message: string, reasons: readonly AttestationReason[], status?: number) {
    super('attestation_failed', message, status === undefined ? {} : { status });
    this.reasons = reasons;
  }
}

/**
 * A TLS connection was refused because the server's key is not in the signed pin set for its host
 * (a rogue or intercepting certificate authority, or a server key the admin never pinned).
 *
 * @example
 * try {
 *   await portcullis.fetch('https://api.example.com/books');
 * } catch (error) {
 *   if (error instanceof PinMismatchError) console.log(error.host); // 'api.example.com'
 * }
 */
export class PinMismatchError extends PortcullisError {
  override readonly name: string = 'PinMismatchError';
  readonly host: string;

  constructor(host: string, cause?: unknown) {
    super(
      'pin_mismatch',
      `the TLS certificate of ${host} does not match the pinned keys for that host; the connection was refused`,
      cause === undefined ? {} : { cause },
    );
    this.host = host;
  }
}

/** The error body of a server answer, when it has the documented shape. */
export async function readErrorBody(
  response: Response,
): Promise<{ error?: string; error_description?: string; reasons?: unknown }> {
  try {
    const body: unknown = await response.json();
    return typeof body === 'object' && body !== null ? (body as { error?: string; error_description?: string }) : {};
  } catch {
    return {};
  }
}
