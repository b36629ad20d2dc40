import {
  ATTESTATION_REASONS,
  type AttestationFormat,
  type AttestationReason,
  type AttestationResponse,
  SOFTWARE_EVIDENCE_TYP,
  type SoftwareEvidence,
} from '@portcullis/protocol';
import { base64url, CompactSign } from 'jose';
import { fetchWithProof } from './dpop-proof.ts';
import { AttestationError, PortcullisError, readErrorBody } from './errors.ts';
import type { InstanceKey } from './instance-key.ts';
import type { Platform } from './platform.ts';

/**
 * The app as the server knows it (`portcullis apps register`).
 *
 * @example
 * const app: AppIdentity = { id: 'com.example.catalog', release: 'sha256:9f86d0…', signals: () => ({ rooted: isRooted() }) };
 */
export interface AppIdentity {
  /** Bundle id or package name, e.g. `com.example.catalog`. */
  id: string;
  /** `sha256:HEX` of the release artifact or its signing certificate, for `software` evidence. */
  release: string;
  /** A stable device identifier; defaults to the app-instance key's thumbprint. */
  deviceId?: string;
  /** The app's own integrity checks, sent with `software` evidence; `true` fails attestation. */
  signals?: () => Promise<SoftwareEvidence['signals']> | SoftwareEvidence['signals'];
}

/**
 * What a platform attester is given: the challenge and the client data it must attest.
 *
 * @example
 * const attest = (input: AttesterInput) => AppAttest.attestKey(input.clientDataHash);
 */
export interface AttesterInput {
  challenge: string;
  /** base64url of the client data JSON (ATTESTATION.md §2.2): send it unchanged as `client_data`. */
  clientData: string;
  /** SHA-256 of the client data bytes: App Attest's `clientDataHash`, Android's attestation challenge. */
  clientDataHash: Uint8Array;
  instanceKey: InstanceKey;
  app: AppIdentity;
}

/**
 * Hardware attestation supplied by a native bridge: App Attest (`attestKey` / `generateAssertion`)
 * on iOS, Key Attestation on Android. It returns the evidence object of ATTESTATION.md §2.3–2.6 as
 * a JSON string; the SDK adds the DPoP proof.
 *
 * @example
 * const attester: PlatformAttester = {
 *   async attest({ clientData, clientDataHash }) {
 *     const { keyId, attestation } = await AppAttest.attestKey(clientDataHash);
 *     return { format: 'apple-app-attest', evidence: JSON.stringify({ key_id: keyId, attestation, client_data: clientData }) };
 *   },
 * };
 */
export interface PlatformAttester {
  attest(input: AttesterInput): Promise<{ format: Exclude<AttestationFormat, 'software'>; evidence: string }>;
}

/** Renew this long before the token expires, so a request never carries one about to lapse. */
const RENEW_BEFORE_MS = 60_000;

interface CachedToken {
  token: string;
  expiresAt: number;
}

function knownReasons(value: unknown): AttestationReason[] {
  if (!Array.isArray(value)) return [];
  return value.filter((r): r is AttestationReason => (ATTESTATION_REASONS as readonly string[]).includes(r));
}

/**
 * Obtains and caches the attestation token (ATTESTATION.md §1–§4): one attestation at a time, a
 * cached token until a minute before it expires.
 */
export class Attestation {
  readonly #server: string;
  readonly #platform: Platform;
  readonly #app: AppIdentity;
  readonly #attester: PlatformAttester | undefined;
  #cached: CachedToken | null = null;
  #pending: Promise<CachedToken> | null = null;

  constructor(server: string, platform: Platform, app: AppIdentity, attester: PlatformAttester | undefined) {
    this.#server = server;
    this.#platform = platform;
    this.#app = app;
    this.#attester = attester;
  }

  /** A valid attestation token, attesting first when there is none or it is about to expire. */
  async token(): Promise<string> {
    if (this.#cached && this.#cached.expiresAt - RENEW_BEFORE_MS > Date.now()) return this.#cached.token;
    return (await this.renew()).token;
  }

  /** Attests now (joining an attestation already under way). */
  renew(): Promise<CachedToken> {
    this.#pending ??= this.#attest().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  /** Drops the cached token, e.g. after a server refused it. */
  forget(): void {
    this.#cached = null;
  }

  async #attest(): Promise<CachedToken> {
    const key = await this.#platform.keyStore.instanceKey();
    const challenge = await this.#challenge();
    const { format, evidence } = this.#attester
      ? await this.#attester.attest(await this.#attesterInput(challenge, key))
      : { format: 'software' as const, evidence: await this.#softwareEvidence(challenge, key) };
    const url = new URL('/attest', this.#server);
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ format, evidence }) };
    // ATTESTATION.md §2.2: hardware formats prove the instance key with a proof at /attest.
    const response =
      format === 'software' ? await this.#platform.fetch(url, init) : await fetchWithProof(this.#platform.fetch, key, url, init);
    if (response.status === 200) {
      const verdict = (await response.json()) as AttestationResponse;
      const cached = { token: verdict.attestation_token, expiresAt: Date.now() + verdict.expires_in * 1000 };
      this.#cached = cached;
      return cached;
    }
    const error = await readErrorBody(response);
    if (error.error === 'attestation_failed') {
      const reasons = knownReasons(error.reasons);
      throw new AttestationError(
        reasons.length > 0
          ? `the server refused this app's attestation: ${reasons.join(', ')}`
          : "the server refused this app's attestation",
        reasons,
        response.status,
      );
    }
    throw new PortcullisError(
      'invalid_response',
      `attestation failed: the server answered ${response.status}${error.error ? ` ${error.error}` : ''}`,
      { status: response.status },
    );
  }

  async #challenge(): Promise<string> {
    const response = await this.#platform.fetch(new URL('/attest/challenge', this.#server), { method: 'POST' });
    if (response.status !== 201) {
      throw new PortcullisError('invalid_response', `the attestation challenge failed: the server answered ${response.status}`, {
        status: response.status,
      });
    }
    const { challenge } = (await response.json()) as { challenge: string };
    return challenge;
  }

  async #softwareEvidence(challenge: string, key: InstanceKey): Promise<string> {
    const payload: SoftwareEvidence = {
      nonce: challenge,
      app_id: this.#app.id,
      release: this.#app.release,
      device_id: this.#app.deviceId ?? key.jkt,
      platform: this.#platform.name,
      ...(this.#platform.osVersion === undefined ? {} : { os_version: this.#platform.osVersion }),
      iat: Math.floor(Date.now() / 1000),
      signals: (await this.#app.signals?.()) ?? {},
    };
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'ES256', typ: SOFTWARE_EVIDENCE_TYP, jwk: key.publicJwk })
      .sign(key.signing.privateKey);
  }

  async #attesterInput(challenge: string, key: InstanceKey): Promise<AttesterInput> {
    const json = JSON.stringify({
      nonce: challenge,
      jkt: key.jkt,
      app_id: this.#app.id,
      ...(this.#app.deviceId === undefined ? {} : { device_id: this.#app.deviceId }),
    });
    const bytes = new TextEncoder().encode(json);
    const clientDataHash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return { challenge, clientData: base64url.encode(bytes), clientDataHash, instanceKey: key, app: this.#app };
  }
}
