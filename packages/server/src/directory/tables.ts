/** Tables owned by `directory/`. Times are milliseconds since the epoch. */
export interface DirectoryTables {
  users: {
    id: string;
    /** As given, after Unicode NFKC. */
    username: string;
    /** NFKC then lower-cased: the unique, case-insensitive lookup key. */
    username_key: string;
    email: string | null;
    given_name: string | null;
    family_name: string | null;
    status: string;
    /** PHC-format argon2id hash; null for a user who cannot log in with a password. */
    password_hash: string | null;
    failed_login_count: number;
    last_failed_login_at: number | null;
    last_login_at: number | null;
    created_at: number;
    updated_at: number;
  };
  /** Failed password attempts per account name and per IP, for throttling without lock-out. */
  login_throttle: {
    key: string;
    failures: number;
    last_failure_at: number;
  };
}
