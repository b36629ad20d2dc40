import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { TlsIdentity } from '../keys/index.ts';
import { answerClientError } from './error-handler.ts';

export interface HttpsListenerOptions {
  host: string;
  port: number;
  tls: TlsIdentity;
  /** PEM CAs whose certificates count for tls_client_auth (RFC 8705 §2.1). */
  clientCas: string[];
}

/**
 * The HTTPS listener, serving the same app as the HTTP one. Client certificates are requested but
 * never required at the TLS layer: the endpoints that use them (mTLS client authentication,
 * certificate-bound tokens) check them per RFC 8705, so a browser without one still connects.
 */
export async function listenHttps(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  options: HttpsListenerOptions,
): Promise<Server> {
  const server = createServer(
    {
      cert: options.tls.cert,
      key: options.tls.key,
      requestCert: true,
      rejectUnauthorized: false,
      ...(options.clientCas.length > 0 ? { ca: options.clientCas } : {}),
      minVersion: 'TLSv1.2',
    },
    handle,
  );
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return server;
}
