/** Tables owned by `gateway/`. Times are milliseconds since the epoch. */
export interface GatewayTables {
  /** Protected API routes; one per host and path prefix. */
  api_routes: {
    id: string;
    /** Lowercase host, or '' for any host. */
    host: string;
    path_prefix: string;
    /** JSON: every other field of ApiRouteView. */
    settings: string;
    created_at: number;
  };
}
