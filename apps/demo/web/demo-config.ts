// Shared by the web app and the server that hands it its configuration (apps/demo/src/serve-web.ts).

/** What the web app fetches from `/catalog/config.json` before it starts. */
export interface DemoWebConfig {
  /** `portcullis sdk config --client-id CATALOG_ID`: the first-party catalog client's SDK config string. */
  sdkConfig: string;
  /** The app id attestation names (`apps register`). */
  appId: string;
  /** `sha256:HEX` of the app bundle: the release registered for `appId`. */
  release: string;
  catalogClientId: string;
  /** A third-party client that signs in through the authorization code flow (consent page). */
  partnerClientId: string;
  redirectUri: string;
  scope: string;
  /** The products API through the gateway, e.g. http://127.0.0.1:8080/api. */
  apiBase: string;
  /** Shown on the sign-in form of a local demo; null hides it. */
  demoUser: { username: string; password: string } | null;
}
