import { type ErrorCode, isErrorCode } from '@portcullis/protocol';
import { CliError, UsageError } from './cli-error.ts';
import { toOneLine } from './output.ts';

const REQUEST_TIMEOUT_MS = 30_000;

export interface AdminClientOptions {
  /** Base URL of the server, e.g. `http://localhost:8080`; `/admin/v1` is appended. */
  server: string;
  adminKey: string;
  timeoutMs?: number;
}

export interface AdminClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: object): Promise<T>;
  put<T = void>(path: string, body: object): Promise<T>;
  patch<T>(path: string, body: object): Promise<T>;
  delete<T = void>(path: string): Promise<T>;
}

/** The server answered with an error status; the message is the server's own sentence and code. */
export class AdminApiError extends CliError {
  readonly status: number;
  readonly code: ErrorCode | undefined;

  constructor(message: string, status: number, code: ErrorCode | undefined) {
    super(message);
    this.name = 'AdminApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * @example
 * adminUrl('https://gw.example/', '/users/a%2Fb') // 'https://gw.example/admin/v1/users/a%2Fb'
 */
export function adminUrl(server: string, path: string): string {
  // String concatenation rather than `new URL(path, server)`, which would drop a path prefix such
  // as `https://example.com/portcullis` behind a reverse proxy.
  return `${server.replace(/\/+$/, '')}/admin/v1${path}`;
}

/** One path segment, so that a username like `a/b` or `x?y` cannot change the route. */
export function pathSegment(value: string): string {
  return encodeURIComponent(value);
}

export function parseServerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--server must be an http:// or https:// URL, got "${toOneLine(value)}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--server must be an http:// or https:// URL, got "${toOneLine(value)}"`);
  }
  return value.replace(/\/+$/, '');
}

export function createAdminClient(options: AdminClientOptions): AdminClient {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;

  async function send(method: string, path: string, body?: object): Promise<unknown> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${options.adminKey}`,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(adminUrl(options.server, path), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new CliError(`cannot reach the server at ${options.server} (${describeFetchFailure(error, timeoutMs)})`);
    }
    const text = await response.text();
    if (!response.ok) throw errorFromResponse(response, text, method, path);
    if (response.status === 204 || text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new CliError(`the server sent a non-JSON answer to ${method} /admin/v1${path} (HTTP ${response.status})`);
    }
  }

  return {
    get: async <T>(path: string) => (await send('GET', path)) as T,
    post: async <T>(path: string, body: object) => (await send('POST', path, body)) as T,
    put: async <T>(path: string, body: object) => (await send('PUT', path, body)) as T,
    patch: async <T>(path: string, body: object) => (await send('PATCH', path, body)) as T,
    delete: async <T>(path: string) => (await send('DELETE', path)) as T,
  };
}

function errorFromResponse(response: Response, text: string, method: string, path: string): AdminApiError {
  const body = parseErrorBody(text);
  if (response.status === 401) {
    const reason = body ? ` (${body.error}: ${stripPeriod(body.description)})` : '';
    return new AdminApiError(`the server rejected the admin key${reason}`, 401, body?.error);
  }
  if (!body) {
    const statusText = response.statusText ? ` ${response.statusText}` : '';
    return new AdminApiError(
      `the server answered HTTP ${response.status}${statusText} to ${method} /admin/v1${path}`,
      response.status,
      undefined,
    );
  }
  const requestId = body.requestId ? `, request id ${body.requestId}` : '';
  return new AdminApiError(`${stripPeriod(body.description)} (${body.error}${requestId})`, response.status, body.error);
}

interface ParsedErrorBody {
  error: ErrorCode;
  description: string;
  requestId: string | undefined;
}

function parseErrorBody(text: string): ParsedErrorBody | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (!isErrorCode(record.error)) return undefined;
  const description = typeof record.error_description === 'string' ? toOneLine(record.error_description) : record.error;
  const requestId = typeof record.request_id === 'string' ? toOneLine(record.request_id) : undefined;
  return { error: record.error, description, requestId };
}

function stripPeriod(sentence: string): string {
  return sentence.replace(/\.+$/, '');
}

/** fetch hides the socket error in `cause`, sometimes inside an AggregateError (IPv4 and IPv6). */
function describeFetchFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000}s`;
  const cause = error instanceof Error ? error.cause : undefined;
  const code = errorCode(cause) ?? (cause instanceof AggregateError ? errorCode(cause.errors[0]) : undefined);
  if (code) return code;
  if (cause instanceof Error) return toOneLine(cause.message);
  return error instanceof Error ? toOneLine(error.message) : 'unknown error';
}

function errorCode(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('code' in value)) return undefined;
  return typeof value.code === 'string' ? value.code : undefined;
}
