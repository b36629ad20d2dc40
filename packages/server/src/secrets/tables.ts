/** Tables owned by `secrets/`. Times are milliseconds since the epoch. */
export interface SecretsTables {
  /** Runtime secrets, one row per version; values sealed with the envelope key, never plain. */
  runtime_secrets: {
    name: string;
    version: number;
    /** Only this app may read it; null: any attested app. */
    app_id: string | null;
    sealed: string;
    created_at: number;
  };
}
