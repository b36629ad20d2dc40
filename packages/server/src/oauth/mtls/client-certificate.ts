import { createHash, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';

export interface PresentedCertificate {
  cert: X509Certificate;
  /** RFC 8705 §3.1: base64url SHA-256 of the DER certificate, the `x5t#S256` confirmation. */
  thumbprint: string;
  /** The TLS layer verified its chain against the trusted client CAs (PORTCULLIS_MTLS_CA). */
  chainVerified: boolean;
}

/** The client certificate of this request's TLS connection, if it presented one. */
export function presentedCertificate(request: FastifyRequest): PresentedCertificate | null {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return null;
  const peer = socket.getPeerCertificate();
  if (!peer?.raw) return null;
  return {
    cert: new X509Certificate(peer.raw),
    thumbprint: createHash('sha256').update(peer.raw).digest('base64url'),
    chainVerified: socket.authorized === true,
  };
}

/**
 * Distinguished names compared as RFC 4514 strings, attribute by attribute, ignoring order
 * direction (Node lists the most significant RDN first, RFC 4514 the least) and spaces after commas.
 */
export function subjectMatches(cert: X509Certificate, registered: string): boolean {
  const presented = cert.subject.split('\n').map((rdn) => rdn.trim());
  const wanted = registered.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((rdn) => rdn.trim());
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((v, i) => v === b[i]);
  return same(presented, wanted) || same([...presented].reverse(), wanted);
}
