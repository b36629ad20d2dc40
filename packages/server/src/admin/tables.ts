/** Tables owned by `admin/`. Times are milliseconds since the epoch. */
export interface AdminTables {
  admin_keys: {
    id: string;
    /** HMAC-SHA-256 of the key under a server-held hashing key; never the key itself. */
    key_hash: string;
    role: string;
    label: string | null;
    bootstrap: number;
    created_at: number;
    last_used_at: number | null;
    revoked_at: number | null;
  };
  audit_log: {
    id: string;
    at: number;
    actor: string;
    action: string;
    target: string | null;
    outcome: string;
    status: number;
    request_id: string;
  };
}
