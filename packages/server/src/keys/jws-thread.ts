import type { KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { signJws, signJwsOnPool } from './jws-signature.ts';
import type { ThreadBatch } from './jws-thread-worker.ts';

/** A key the thread can use; made once per key by `JwsThread.key`. */
export interface ThreadKey {
  readonly ref: number;
  readonly alg: string;
  readonly hash: string | null;
  readonly key: KeyObject;
}

interface Job {
  key: ThreadKey;
  input: string;
  resolve(signature: string): void;
  reject(err: unknown): void;
}

/**
 * A turn of the event loop that asks for fewer signatures than this signs them in place. A hand-off
 * to the thread and back costs 110–230 µs of CPU on the 2-core bench machine (a bare postMessage
 * ping-pong; the wake-ups dominate) against ~50 µs a signature, so only a large batch, which only a
 * saturated server makes, gains from it.
 */
const MIN_BATCH = 16;
/**
 * A turn that asks for this many, and fewer than `MIN_BATCH`, signs each on libuv's thread pool:
 * with four or more in flight a pool signature costs the event loop 15–19 µs against 33–50 in
 * place (and about twice that CPU in all); with one or two it costs the loop as much as signing.
 */
const MIN_POOL_BATCH = 4;
/** After this many lost threads, everything is signed in place. */
const MAX_FAILURES = 3;

function signOnPool(job: Job): void {
  const { alg, hash, key } = job.key;
  signJwsOnPool(alg, hash, key, Buffer.from(job.input), (err, signature) => {
    if (err) job.reject(err);
    else job.resolve(signature as string);
  });
}

function signHere(job: Job): void {
  const { alg, hash, key } = job.key;
  try {
    job.resolve(signJws(alg, hash, key, Buffer.from(job.input)));
  } catch (err) {
    job.reject(err);
  }
}

export interface JwsThreadOptions {
  /** The thread's script; tests point it elsewhere. */
  threadUrl?: URL;
}

/**
 * Makes JWS signatures (ES256/384/512, EdDSA) in batches on a thread of its own, so a busy token
 * endpoint uses a second core for what is otherwise a third of its event loop's time: every
 * signature asked for in one turn of the event loop goes over in one message and comes back in
 * one, which in a large batch costs the event loop a few µs a signature against ~50 µs for signing
 * in place, and far less than WebCrypto's thread-pool round trip per signature. Only a turn that
 * asks for many (`MIN_BATCH`) goes to the thread; a turn asking for four to fifteen signs each on
 * libuv's thread pool (node:crypto's callback form, far cheaper to hand over than a message to the
 * thread); fewer, and so every quiet server and most tests, sign in place, and a server never
 * asked for many starts no thread. With the pool tier the token bench at 10 connections went from
 * 1.91× to 2.23× the reference (one run each, the server then using 115 % of a core instead of
 * 99 %). Measured on the bench machine (token endpoint, one A/B run each, three rounds a side): at
 * 64 connections in place made 3,632–6,040 requests/s, batches of 2 and more on the thread
 * 4,270–5,730 for about 20 % more CPU a request, batches of 16 and more 4,816–6,099 for 10–15 %
 * more; at 10 connections batches of 2 and more used 15–40 % more CPU a request than in place and
 * were slower in two rounds of three.
 * If the thread fails, whatever it held is signed in place and a new one starts; after three
 * failures everything is signed in place.
 *
 * Checking signatures (a gateway's DPoP proofs) the same way was measured and dropped: on the
 * 2-core bench machine the gateway's DPoP run gained nothing it kept (2,581–2,825 requests/s against
 * 2,492 in place, the machine already saturated by the load generator) and the gateway's resident
 * set grew from 196 MB to 212–283 MB, past its 200 MB budget.
 */
export class JwsThread {
  static #nextRef = 1;
  readonly #listeners = new Set<(err: unknown) => void>();
  readonly #threadUrl: URL;
  #queue: Job[] = [];
  #scheduled = false;
  #worker: Worker | undefined;
  /** Keys the current thread has, by reference. */
  #sent = new Set<number>();
  /** Batches sent to the thread, oldest first; it answers them in order. */
  #inFlight: Job[][] = [];
  #failures = 0;
  #closed = false;
  #pooled = 0;

  constructor(options: JwsThreadOptions = {}) {
    this.#threadUrl = options.threadUrl ?? new URL('./jws-thread-worker.ts', import.meta.url);
  }

  /** Hears of a thread that failed (everything it held is signed in place); returns the unsubscribe. */
  onError(listener: (err: unknown) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  key(alg: string, hash: string | null, key: KeyObject): ThreadKey {
    return { ref: JwsThread.#nextRef++, alg, hash, key };
  }

  /** `key` signs no more: the thread drops its copy now (a retired private key lingers nowhere). */
  forget(key: ThreadKey): void {
    if (!this.#worker || !this.#sent.delete(key.ref)) return;
    // An empty batch keeps the answers in step with #inFlight.
    this.#inFlight.push([]);
    this.#worker.postMessage({ keys: [], forget: [key.ref], jobs: [] } satisfies ThreadBatch);
  }

  /** The base64url JWS signature of `input` (RFC 7515 §5.1). */
  sign(key: ThreadKey, input: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ key, input, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Signatures made on libuv's thread pool so far (for tests and diagnostics). */
  get pooled(): number {
    return this.#pooled;
  }

  /** Whether a thread is running (for tests and diagnostics). */
  get threaded(): boolean {
    return this.#worker !== undefined;
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length < MIN_POOL_BATCH) {
      for (const job of batch) signHere(job);
      return;
    }
    if (this.#closed || this.#failures >= MAX_FAILURES || batch.length < MIN_BATCH) {
      this.#pooled += batch.length;
      for (const job of batch) signOnPool(job);
      return;
    }
    const worker = this.#thread();
    const message: ThreadBatch = { keys: [], forget: [], jobs: [] };
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
    // The thread holds keys and one batch at a time: a small heap is plenty.
    const worker = new Worker(this.#threadUrl, { resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 48 } });
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
    worker.on('exit', (code) => this.#lost(worker, new Error(`the JWS thread exited with code ${code}`)));
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
      for (const listener of this.#listeners) listener(err);
    }
    for (const batch of unanswered) for (const job of batch) signHere(job);
  }

  /** Stops the thread; signatures still in flight are made in place. */
  close(): void {
    this.#closed = true;
    void this.#worker?.terminate();
  }
}

/**
 * The process's JWS signing thread, shared by every signing key (keys/signing-keys.ts), so a busy
 * process runs one such thread however many servers it hosts. It never keeps the process alive.
 */
export const jwsThread = new JwsThread();
