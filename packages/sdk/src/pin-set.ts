import { PIN_SET_TYP, PINS_PATH, type PinSetClaims, type SdkConfig } from '@portcullis/protocol';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { PortcullisError } from './errors.ts';
import type { Platform } from './platform.ts';
import type { EncryptedRecords } from './token-store.ts';

/** How long a fetched pin set is used before the SDK asks for a newer one. */
const REFRESH_AFTER_MS = 10 * 60_000;
const VERSION_RECORD = 'pins-version';

function invalid(why: string, cause?: unknown): PortcullisError {
  return new PortcullisError('pin_set_invalid', `the server's pin set was refused: ${why}`, cause === undefined ? {} : { cause });
}

/**
 * The signed pin set (ATTESTATION.md §6): verified with the pins keys of the config string, never
 * older than the highest version this app instance has seen (kept encrypted at rest), handed to
 * the platform to enforce at TLS.
 */
export class PinSet {
  readonly #config: SdkConfig;
  readonly #platform: Platform;
  readonly #records: EncryptedRecords;
  readonly #keys: ReturnType<typeof createLocalJWKSet>;
  #current: { claims: PinSetClaims; fetchedAt: number } | null = null;
  #pending: Promise<PinSetClaims> | null = null;

  constructor(config: SdkConfig, platform: Platform, records: EncryptedRecords) {
    this.#config = config;
    this.#platform = platform;
    this.#records = records;
    this.#keys = createLocalJWKSet({ keys: config.pins_keys } as JSONWebKeySet);
  }

  /** The current pin set, fetched when there is none or it is ten minutes old. */
  async get(): Promise<PinSetClaims> {
    if (this.#current && Date.now() - this.#current.fetchedAt < REFRESH_AFTER_MS) return this.#current.claims;
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  async #fetch(): Promise<PinSetClaims> {
    let jws: string;
    try {
      const response = await this.#platform.fetch(new URL(PINS_PATH, this.#config.server));
      if (response.status !== 200) throw invalid(`the server answered ${response.status}`);
      jws = await response.text();
    } catch (error) {
      // A pinned host that fails its pins throws the platform's own PinMismatchError: keep it.
      if (error instanceof PortcullisError) throw error;
      throw new PortcullisError('network_error', `the pin set could not be fetched from ${this.#config.server}`, {
        cause: error,
      });
    }
    let claims: PinSetClaims;
    try {
      const { payload } = await jwtVerify(jws, this.#keys, {
        typ: PIN_SET_TYP,
        issuer: this.#config.server,
        requiredClaims: ['exp', 'iat', 'version', 'pins'],
      });
      claims = payload as unknown as PinSetClaims;
    } catch (error) {
      throw invalid('its signature, type, issuer or lifetime does not verify with the config string keys', error);
    }
    if (!Number.isSafeInteger(claims.version) || typeof claims.pins !== 'object' || claims.pins === null) {
      throw invalid('it lacks a version or pins');
    }
    const highest = (await this.#records.read<number>(VERSION_RECORD)) ?? 0;
    if (claims.version < highest) {
      throw invalid(`version ${claims.version} is older than version ${highest}, which this app has seen (a replayed pin set)`);
    }
    if (claims.version > highest) await this.#records.write(VERSION_RECORD, claims.version);
    claims = { ...claims, protected_domains: Array.isArray(claims.protected_domains) ? claims.protected_domains : [] };
    this.#platform.enforcePins?.(claims);
    this.#current = { claims, fetchedAt: Date.now() };
    return claims;
  }
}
