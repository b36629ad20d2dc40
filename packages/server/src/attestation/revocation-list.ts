import { readFile } from 'node:fs/promises';
import { parseRevocationStatusList } from './android/revocation-status-list.ts';

/** What `android-key` checks against: the revoked serials, or why there are none. */
export type RevokedSerials =
  | { state: 'off' }
  | { state: 'loaded'; serials: ReadonlySet<string> }
  | { state: 'unavailable'; why: string };

export interface RevocationListOptions {
  /** `off`, an http(s) URL, or a file path. */
  source: string;
  /** Called with a one-line, secret-free description when a load fails. */
  onError?: (why: string) => void;
  now?: () => number;
  /** A loaded list is reloaded in the background once it is this old. */
  refreshMs?: number;
  /** A list older than this (every reload failing) is no longer trusted: android-key then fails closed. */
  maxAgeMs?: number;
  /** A failed load is not retried sooner than this. */
  retryMs?: number;
  timeoutMs?: number;
}

// Google's list is a few hundred kilobytes; anything far larger is not it.
const MAX_BYTES = 16 * 1024 * 1024;

/**
 * The Android revocation status list, from the configured file or URL (`PORTCULLIS_ANDROID_REVOCATION_LIST`).
 * Loaded on the first `android-key` attestation (a server that never sees one never fetches it),
 * then kept fresh in the background. Until a list has loaded, or once the last good one is older
 * than `maxAgeMs`, the answer is `unavailable` and `android-key` fails closed with
 * `revocation_list_unavailable`: a revoked attestation key must not pass because the list could
 * not be fetched.
 */
export class RevocationList {
  readonly #source: string;
  readonly #onError: (why: string) => void;
  readonly #now: () => number;
  readonly #refreshMs: number;
  readonly #maxAgeMs: number;
  readonly #retryMs: number;
  readonly #timeoutMs: number;
  #serials: ReadonlySet<string> | null = null;
  #loadedAt = 0;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #lastError = 'not loaded yet';
  #loading: Promise<void> | null = null;

  constructor(options: RevocationListOptions) {
    this.#source = options.source;
    this.#onError = options.onError ?? (() => {});
    this.#now = options.now ?? Date.now;
    this.#refreshMs = options.refreshMs ?? 3_600_000;
    this.#maxAgeMs = options.maxAgeMs ?? 86_400_000;
    this.#retryMs = options.retryMs ?? 60_000;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async revokedSerials(): Promise<RevokedSerials> {
    if (this.#source === 'off') return { state: 'off' };
    const now = this.#now();
    const fresh = this.#serials !== null && now - this.#loadedAt < this.#maxAgeMs;
    const due = now - this.#attemptedAt >= this.#retryMs;
    const stale = this.#serials === null || now - this.#loadedAt >= this.#refreshMs;
    if (stale && due && !this.#loading) this.#loading = this.#load().finally(() => (this.#loading = null));
    // A usable list answers at once while a newer one loads; without one, wait for the load.
    if (!fresh && this.#loading) await this.#loading;
    if (this.#serials !== null && this.#now() - this.#loadedAt < this.#maxAgeMs)
      return { state: 'loaded', serials: this.#serials };
    return { state: 'unavailable', why: this.#lastError };
  }

  async #load(): Promise<void> {
    this.#attemptedAt = this.#now();
    try {
      const text = await this.#read();
      this.#serials = parseRevocationStatusList(JSON.parse(text));
      this.#loadedAt = this.#now();
    } catch (err) {
      this.#lastError = `the Android revocation status list (${this.#source}) could not be loaded: ${describe(err)}`;
      this.#onError(this.#lastError);
    }
  }

  async #read(): Promise<string> {
    if (!/^https?:\/\//.test(this.#source)) {
      const text = await readFile(this.#source, 'utf8');
      if (text.length > MAX_BYTES) throw new Error('larger than 16 MiB');
      return text;
    }
    const res = await fetch(this.#source, {
      signal: AbortSignal.timeout(this.#timeoutMs),
      headers: { accept: 'application/json' },
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    if (Number(res.headers.get('content-length') ?? 0) > MAX_BYTES) throw new Error('larger than 16 MiB');
    const text = await res.text();
    if (text.length > MAX_BYTES) throw new Error('larger than 16 MiB');
    return text;
  }
}

function describe(err: unknown): string {
  if (err instanceof SyntaxError) return 'not JSON';
  const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (e.name === 'TimeoutError') return 'timed out';
  if (typeof e.code === 'string') return e.code;
  if (typeof e.cause?.code === 'string') return e.cause.code;
  if (typeof e.cause?.message === 'string') return e.cause.message;
  return typeof e.message === 'string' ? e.message : String(err);
}
