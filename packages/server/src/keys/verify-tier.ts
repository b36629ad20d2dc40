import { type KeyObject, verify } from 'node:crypto';

/**
 * A turn of the event loop that asks for at least this many signature checks makes each on libuv's
 * thread pool (node:crypto's callback form); fewer are checked in place, where one or two cost the
 * event loop less than the hand-off (jws-thread.ts has the same tiers for signing).
 */
const MIN_POOL_BATCH = 4;

interface Check {
  hash: string | null;
  key: KeyObject;
  input: Buffer;
  signature: Buffer;
  done(valid: boolean): void;
}

let queue: Check[] = [];
let scheduled = false;
let pooledCount = 0;

function checkHere(c: Check): void {
  let valid: boolean;
  try {
    valid = verify(c.hash, c.input, c.key, c.signature);
  } catch {
    valid = false;
  }
  c.done(valid);
}

function checkOnPool(c: Check): void {
  try {
    verify(c.hash, c.input, c.key, c.signature, (err, valid) => c.done(!err && valid));
  } catch {
    c.done(false);
  }
}

function flush(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  if (batch.length < MIN_POOL_BATCH) {
    for (const c of batch) checkHere(c);
    return;
  }
  pooledCount += batch.length;
  for (const c of batch) checkOnPool(c);
}

/** Checks made on the thread pool so far (for tests and diagnostics). */
export function pooledVerifications(): number {
  return pooledCount;
}

/**
 * Whether `signature` (DER for ECDSA) is `key`'s over `input`, never throwing. Checks asked for in
 * one turn of the event loop are made together at its end: in place when few, on libuv's thread
 * pool when several, so a busy server spends its second core on them. Used for attestation
 * evidence (an ES256 check is ~130 µs, the largest single cost of an attestation). Measured with
 * the attest bench's clients against three servers side by side, six alternating 5-second rounds,
 * attestations/s summed over the rounds: in place 9,165, this tier 10,236 (+12 %, ahead in four
 * rounds of six), every check on the pool 8,706. The gateway's DPoP proofs are still checked in place:
 * in its bench, this tier raised (e)'s requests/s by roughly a tenth, but left the gateway's
 * resident set 30–90 MB larger after the runs (220–265 MB against 160–190), past its 200 MB bound.
 */
export function verifyInTurn(hash: string | null, key: KeyObject, input: Buffer, signature: Buffer): Promise<boolean> {
  return new Promise((done) => {
    queue.push({ hash, key, input, signature, done });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}
