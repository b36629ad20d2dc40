import type { AdminKeys } from './admin/admin-keys.ts';
import type { AuditLog } from './admin/audit-log.ts';
import type { Attestation } from './attestation/index.ts';
import type { Config } from './config/index.ts';
import type { DatabaseHandle } from './db/index.ts';
import type { LoginThrottle, Users } from './directory/index.ts';
import type { EventBus } from './events/index.ts';
import type { ApiRoutes, RateLimiter } from './gateway/index.ts';
import type { Envelope } from './keys/envelope.ts';
import type { SecretDigests } from './keys/secret-digests.ts';
import type { SigningKeys } from './keys/signing-keys.ts';
import type { OAuth } from './oauth/index.ts';
import type { Metrics } from './observability/metrics.ts';
import type { PinSet } from './pinning/index.ts';
import type { RuntimeSecrets } from './secrets/index.ts';

/** What `buildApp` wires together and hands to each module's routes. */
export interface Services {
  config: Config;
  database: DatabaseHandle;
  bus: EventBus;
  envelope: Envelope;
  digests: SecretDigests;
  signingKeys: SigningKeys;
  users: Users;
  loginThrottle: LoginThrottle;
  oauth: OAuth;
  attestation: Attestation;
  apiRoutes: ApiRoutes;
  secrets: RuntimeSecrets;
  pins: PinSet;
  metrics: Metrics;
  adminKeys: AdminKeys;
  audit: AuditLog;
  /** Request counters: in memory, or shared through Redis when PORTCULLIS_REDIS_URL is set. */
  rateLimiter: RateLimiter;
  /** The issuer: PORTCULLIS_PUBLIC_URL, or http://localhost:<bound port> once listening. */
  publicUrl(): string;
  /** The HTTPS listener's base URL (mTLS endpoint aliases, RFC 8705 §5), or null when off. */
  mtlsUrl(): string | null;
  /** The SPKI pin of this server's own TLS key (always in the pin set), once the HTTPS listener has it. */
  serverPin(): string | null;
}
