/** Tables owned by `keys/`. Times are milliseconds since the epoch. */
export interface KeysTables {
  /** Data keys, each wrapped (JWE, A256KW) by the master key. */
  data_keys: { id: string; wrapped: string; created_at: number };
  /** Facts about the key material; `master_key_check` proves the master key at start-up. */
  key_facts: { name: string; value: string };
  signing_keys: {
    kid: string;
    use: string;
    alg: string;
    state: string;
    public_jwk: string;
    /** The private JWK, sealed with a data key (see envelope.ts). */
    private_sealed: string;
    created_at: number;
    activated_at: number | null;
    retired_at: number | null;
    published_until: number | null;
  };
}
