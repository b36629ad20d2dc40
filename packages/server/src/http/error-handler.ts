import type { Duplex } from 'node:stream';
import type { ErrorBody, ErrorCode } from '@portcullis/protocol';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './errors.ts';
import { setSecurityHeaders } from './security-headers.ts';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/** Fastify's own client errors, put in words a caller can act on. */
const FASTIFY_DESCRIPTIONS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'the request body is not valid JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the request body is empty but the content type is application/json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'the request body is larger than this server accepts',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'the request body has a content type this endpoint does not accept',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'the Content-Length header does not match the body',
};

function send(reply: FastifyReply, status: number, body: ErrorBody): FastifyReply {
  if (
    status === 401 &&
    (body.error === 'invalid_token' || body.error === 'unauthorized') &&
    !reply.hasHeader('www-authenticate')
  ) {
    // RFC 6750 §3: a 401 says which scheme to use and why.
    reply.header('www-authenticate', `Bearer realm="portcullis", error="${body.error}"`);
  }
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/**
 * One formatter for every non-OAuth JSON error: `{error, error_description}`. A 5xx answer
 * carries only `server_error` and the request id; the cause goes to the log.
 */
/**
 * Fastify's `frameworkErrors` hook: a URL the router cannot even decode (bad percent-encoding, an
 * over-long path segment) gets the same error body and headers as every other error.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // The router fails before any route exists, so no onSend hook will run for this answer.
  setSecurityHeaders(request, reply);
  const description =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a segment of the URL path is too long' : 'the URL path is not validly encoded';
  send(reply, 400, { error: 'invalid_request', error_description: description });
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof HttpError) {
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      if (error.detail) request.log.info({ err: { type: error.name, detail: error.detail } }, error.description);
      return send(reply, error.status, { error: error.code, error_description: error.description });
    }
    if (error.validation) {
      return send(reply, 400, { error: 'invalid_request', error_description: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const description = FASTIFY_DESCRIPTIONS[error.code] ?? 'the request cannot be processed';
      return send(reply, status, { error: CODE_BY_STATUS[status] ?? 'invalid_request', error_description: description });
    }
    request.log.error({ err: error }, 'request failed');
    return send(reply, 500, {
      error: 'server_error',
      error_description: 'the server failed to process the request',
      request_id: String(request.id),
    });
  });

  app.setNotFoundHandler((request, reply) =>
    send(reply, 404, { error: 'not_found', error_description: `no endpoint at ${request.method} ${request.url.split('?')[0]}` }),
  );
}

/**
 * Node's `clientError`: a request that is not even HTTP, or whose headers are too large (431),
 * or that arrives too slowly (408), answered with the same `{error, error_description}` body as
 * every other error (Fastify's default answers its own shape), then the connection is closed.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, description] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request did not arrive in time']
        : [400, 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: 'invalid_request', error_description: description } satisfies ErrorBody);
  const reason = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }[status];
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
