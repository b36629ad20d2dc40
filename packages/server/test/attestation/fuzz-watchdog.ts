// A dead man's switch for the fuzz tests (issue #4): a hang must fail the run and name its case.
import { Worker } from 'node:worker_threads';

const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { beats, label, limitMs } = workerData;
let seen = -1;
let since = Date.now();
setInterval(() => {
  const now = Atomics.load(beats, 0);
  if (now !== seen) { seen = now; since = Date.now(); return; }
  if (Date.now() - since < limitMs) return;
  const length = Atomics.load(beats, 1);
  const stuck = Buffer.from(label.subarray(0, length)).toString('utf8');
  writeSync(2, '\\nfuzz watchdog: no progress for ' + limitMs + ' ms; stuck in ' + stuck + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, 100);
`;

export interface Watchdog {
  /** Marks progress and names the case about to run. */
  beat(label: string): void;
  stop(): Promise<void>;
}

/**
 * A synchronous hang (a decoder looping on the main thread, where the server also runs) blocks every
 * timer in this thread, so a worker watches instead: when no case starts for `limitMs`, it prints
 * the stuck case (seed and input) and kills the process, which fails the test file.
 */
export function startWatchdog(limitMs: number): Watchdog {
  const beats = new Int32Array(new SharedArrayBuffer(8));
  const label = new Uint8Array(new SharedArrayBuffer(4096));
  const worker = new Worker(WATCHDOG, { eval: true, workerData: { beats, label, limitMs } });
  worker.unref();
  return {
    beat(text) {
      const { written } = new TextEncoder().encodeInto(text, label);
      Atomics.store(beats, 1, written);
      Atomics.add(beats, 0, 1);
    },
    async stop() {
      await worker.terminate();
    },
  };
}
