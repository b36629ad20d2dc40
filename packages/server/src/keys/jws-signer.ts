import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { signJws } from './jws-signature.ts';
import type { SignerBatch } from './jws-signer-thread.ts';

/** A key the signer can use; made once per signing key by `JwsSigner.key`. */
export interface SignerKey {
  readonly ref: number;
  readonly alg: string;
  readonly hash: string | null;
  readonly key: KeyObject;
}

interface Job {
  key: SignerKey;
  input: string;
  resolve(signature: string): void;
  reject(err: unknown): void;
}

/** Until a turn of the event loop asks for this many signatures at once, they are made in place (no thread). */
const MIN_BATCH = 2;
/** After this many lost threads, everything is signed in place. */
const MAX_FAILURES = 3;

function signHere(job: Job): void {
  try {
    job.resolve(signJws(job.key.alg, job.key.hash, job.key.key, Buffer.from(job.input)));
  } catch (err) {
    job.reject(err);
  }
}

export interface JwsSignerOptions {
  /** Hears of a signing thread that failed (everything it had is signed in place). */
  onError?: (err: unknown) => void;
  /** The thread's script; tests point it elsewhere. */
  threadUrl?: URL;
}

/**
 * Signs JWS inputs (ES256, EdDSA) in batches on a thread of its own, so a busy token endpoint
 * uses a second core for what is otherwise a third of its event loop's time: every signature
 * asked for in one turn of the event loop goes over in one message and comes back in one, which
 * costs the event loop a few µs a signature against ~50 µs for signing in place, and far less than
 * WebCrypto's thread-pool round trip per signature. A server that has only ever been asked for
 * one signature at a time (a quiet one, a test) signs in place and starts no thread; once it has
 * been asked for several at once, the thread signs everything. If the thread fails, whatever it
 * held is signed in place and a new one starts; after three failures everything is signed in place.
 */
export class JwsSigner {
  static #nextRef = 1;
  readonly #onError: (err: unknown) => void;
  readonly #threadUrl: URL;
  #queue: Job[] = [];
  #scheduled = false;
  #worker: Worker | undefined;
  /** Keys the current thread already has, by reference. */
  #sent = new Set<number>();
  /** Batches sent to the thread, oldest first; it answers them in order. */
  #inFlight: Job[][] = [];
  #failures = 0;
  #closed = false;

  constructor(options: JwsSignerOptions = {}) {
    this.#onError = options.onError ?? (() => {});
    this.#threadUrl = options.threadUrl ?? new URL('./jws-signer-thread.ts', import.meta.url);
  }

  key(alg: string, hash: string | null, key: KeyObject): SignerKey {
    return { ref: JwsSigner.#nextRef++, alg, hash, key };
  }

  /** The base64url JWS signature of `input`. */
  sign(key: SignerKey, input: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ key, input, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Whether a signing thread is running (for tests and diagnostics). */
  get threaded(): boolean {
    return this.#worker !== undefined;
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (this.#closed || this.#failures >= MAX_FAILURES || (batch.length < MIN_BATCH && !this.#worker)) {
      for (const job of batch) signHere(job);
      return;
    }
    const worker = this.#thread();
    const message: SignerBatch = { keys: [], jobs: [] };
    for (const job of batch) {
      const { ref, key, alg, hash } = job.key;
      if (!this.#sent.has(ref)) {
        this.#sent.add(ref);
        message.keys.push([ref, key, alg, hash]);
      }
      message.jobs.push([ref, job.input]);
    }
    this.#inFlight.push(batch);
    worker.postMessage(message);
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(this.#threadUrl);
    worker.unref();
    worker.on('message', (signatures: (string | null)[]) => {
      const batch = this.#inFlight.shift() ?? [];
      batch.forEach((job, i) => {
        const signature = signatures[i];
        if (typeof signature === 'string') job.resolve(signature);
        else signHere(job);
      });
    });
    worker.on('error', (err) => this.#lost(worker, err));
    worker.on('exit', (code) => this.#lost(worker, new Error(`the signing thread exited with code ${code}`)));
    this.#worker = worker;
    this.#sent = new Set();
    return worker;
  }

  /** The thread is gone: whatever it had not answered is signed here. */
  #lost(worker: Worker, err: unknown): void {
    if (worker !== this.#worker) return;
    this.#worker = undefined;
    const unanswered = this.#inFlight;
    this.#inFlight = [];
    if (!this.#closed) {
      this.#failures++;
      this.#onError(err);
    }
    for (const batch of unanswered) for (const job of batch) signHere(job);
  }

  /** Stops the thread; signatures still in flight are made in place. */
  close(): void {
    this.#closed = true;
    void this.#worker?.terminate();
  }
}
