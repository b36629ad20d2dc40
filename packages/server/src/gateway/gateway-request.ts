import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiRouteView } from '@portcullis/protocol';
import type { AttestedApp } from '../attestation/index.ts';
import type { ChallengeScheme } from './gateway-error.ts';

/** A verified access token's claims, as the checks after it and the forwarding need them. */
export interface AccessClaims {
  /** Cache key: the token's base64url SHA-256 (`VerifiedTokens.keyOf`), which is also its DPoP `ath`. */
  key: string;
  sub: string;
  clientId: string;
  /** The user, or null for a token a client got for itself (RFC 9068 §2.2: sub = client_id). */
  userId: string | null;
  scopes: string[];
  aud: string[];
  jti: string;
  exp: number;
  jkt: string | undefined;
  x5t: string | undefined;
}

/** One request on its way through the gateway's checks (gateway.ts lists them in order). */
export interface GatewayRequest {
  req: IncomingMessage;
  res: ServerResponse;
  route: ApiRouteView;
  requestId: string;
  startedAt: number;
  /** The normalised path (normalize-path.ts) and the raw query with its '?', or ''. */
  path: string;
  query: string;
  /** The URL the client addressed, as a DPoP proof's `htu` names it (RFC 9449 §4.3). */
  url: string;
  host: string;
  proto: 'http' | 'https';
  ip: string;
  /** Authorization scheme as sent (lowercased), and the token. */
  scheme: 'bearer' | 'dpop' | undefined;
  accessToken: string | undefined;
  token: AccessClaims | undefined;
  app: AttestedApp | undefined;
  /** Thumbprint of the key whose DPoP proof this request carried and that verified. */
  proofJkt: string | undefined;
  /** The challenge schemes this route's 401s name. */
  challenge: readonly ChallengeScheme[];
}
