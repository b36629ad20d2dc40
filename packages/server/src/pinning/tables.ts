/** Tables owned by `pinning/`. */
export interface PinningTables {
  /** Certificate pins per host: a JSON list of `sha256/BASE64` SPKI pins (primary first, then backups). */
  pins: {
    host: string;
    spki: string;
    updated_at: number;
  };
  /** The pin set's single state row (id 1): its version only grows. */
  pin_set: {
    id: number;
    version: number;
    managed_trust_roots: number;
    updated_at: number;
    /** The server's own TLS key pin as last served (null before the HTTPS listener first ran). */
    server_pin: string | null;
  };
}
