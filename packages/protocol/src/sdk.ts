/**
 * Wire formats the SDK reads: the SDK config string (`portcullis sdk config`) and the signed pin
 * set (`GET /.well-known/portcullis/pins`). packages/protocol/ATTESTATION.md §6 describes both.
 */

/** Where the signed pin set is served. */
export const PINS_PATH = '/.well-known/portcullis/pins';

/** The JWS `typ` of the pin set. */
export const PIN_SET_TYP = 'portcullis-pins+jwt';

/** The decoded SDK config string: base64url of this JSON. */
export interface SdkConfig {
  v: 1;
  /** The server's issuer URL. */
  server: string;
  client_id?: string;
  /** The current and next public keys that sign the pin set. */
  pins_keys: Array<Record<string, unknown>>;
  attestation_jwks_uri: string;
}

/** The claims of the signed pin set. */
export interface PinSetClaims {
  iss: string;
  iat: number;
  exp: number;
  /** Grows with every change; a client refuses any version lower than the highest it has seen. */
  version: number;
  /** Host name → `sha256/BASE64` SPKI pins (RFC 7469 §2.4), primary first. */
  pins: Record<string, string[]>;
  /** SPKI pins of the public CA roots to trust instead of the device's store, when the admin turned it on. */
  managed_trust_roots?: string[];
  /** Hosts of the protected APIs: the SDK sends attestation tokens to these hosts only. */
  protected_domains: string[];
}
