import type { AdminRole } from '@portcullis/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, InvalidToken } from '../http/errors.ts';
import type { AdminKeys } from './admin-keys.ts';
import type { AdminKeyRow } from './admin-keys-store.ts';

/**
 * What a route needs: `read` (every role), `write` (admin, developer), `sensitive` (admin only:
 * policy, secrets, keys, admin keys). A route that declares nothing is `sensitive`: deny by default.
 */
export type Access = 'public' | 'read' | 'write' | 'sensitive';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /** The audit log's name for what the route does, e.g. `users.create`. */
    action?: string;
  }
  interface FastifyRequest {
    adminKey?: AdminKeyRow;
    /** What a mutation acted on, for the audit log. */
    auditTarget?: string;
  }
}

const ALLOWED: Record<Exclude<Access, 'public'>, readonly AdminRole[]> = {
  read: ['admin', 'developer', 'auditor'],
  write: ['admin', 'developer'],
  sensitive: ['admin'],
};

export function authenticateAdmin(adminKeys: AdminKeys) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const access = request.routeOptions.config.access ?? 'sensitive';
    if (access === 'public') return;
    const header = request.headers.authorization;
    // RFC 9110 §11.1: the scheme name is case-insensitive.
    const match = header ? /^Bearer +([\x21-\x7e]+)$/i.exec(header) : null;
    if (!match?.[1]) {
      // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
      if (!header) reply.header('www-authenticate', 'Bearer realm="portcullis"');
      throw new InvalidToken('an admin API key is required: Authorization: Bearer <key>');
    }
    const key = await adminKeys.authenticate(match[1]);
    if (!key) throw new InvalidToken('the admin API key is not valid or has been revoked');
    request.adminKey = key;
    if (!ALLOWED[access].includes(key.role as AdminRole)) {
      throw new Forbidden(`the ${key.role} role cannot do this; it needs ${ALLOWED[access].join(' or ')}`);
    }
  };
}
