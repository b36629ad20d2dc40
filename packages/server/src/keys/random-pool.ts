import { randomFillSync } from 'node:crypto';

/** Bytes drawn from the CSPRNG at once: 128 challenges' worth. */
const POOL_BYTES = 4096;

/**
 * Random bytes for a hot path, from node:crypto's CSPRNG, drawn 4 KiB at a time and handed out
 * once each (as Node's own randomUUID does): one `randomBytes(32)` call costs 4–25 µs here, most
 * of it the call into OpenSSL, whatever the size. Each byte goes to one caller only and is zeroed
 * in the pool as it leaves.
 */
export class RandomPool {
  readonly #pool = Buffer.allocUnsafeSlow(POOL_BYTES);
  #used = POOL_BYTES;

  /** Fills `target[offset, offset + length)` with fresh random bytes. */
  fill(target: Buffer, offset: number, length: number): void {
    if (length > POOL_BYTES) {
      randomFillSync(target, offset, length);
      return;
    }
    if (this.#used + length > POOL_BYTES) {
      randomFillSync(this.#pool);
      this.#used = 0;
    }
    this.#pool.copy(target, offset, this.#used, this.#used + length);
    this.#pool.fill(0, this.#used, this.#used + length);
    this.#used += length;
  }
}
