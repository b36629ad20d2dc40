// Benchmark runner: `npm run bench [-- NAME...]` (no name = all).
// Writes bench/results/<name>.json and prints one summary table per benchmark.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { attest } from './attest.ts';
import { gateway } from './gateway.ts';
import { startup } from './startup.ts';
import { token } from './token.ts';

export type Cell = string | number;
export interface BenchReport {
  /** Column headers of the summary table. */
  columns: string[];
  rows: Cell[][];
  /** Targets that were missed (empty when all pass). */
  missed: string[];
  /** Raw measurements, written to the JSON file. */
  data: Record<string, unknown>;
}

const benchmarks: Record<string, () => Promise<BenchReport>> = { startup, token, attest, gateway };

function printTable(columns: string[], rows: Cell[][]): void {
  const cells = [columns, ...rows].map((r) => r.map(String));
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(cells[0]!));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of cells.slice(1)) console.log(line(r));
}

const names = process.argv.slice(2);
const unknown = names.filter((n) => !Object.hasOwn(benchmarks, n));
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')}\navailable: ${Object.keys(benchmarks).join(', ')}`);
  process.exit(2);
}

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
let failed = false;
for (const name of names.length > 0 ? names : Object.keys(benchmarks)) {
  console.log(`\n## ${name}\n`);
  try {
    const report = await benchmarks[name]!();
    const environment = { node: process.version, cpu: cpus()[0]?.model, cpus: cpus().length, memoryMB: totalmem() / 2 ** 20 };
    const file = `${resultsDir}${name}.json`;
    writeFileSync(file, `${JSON.stringify({ name, date: new Date().toISOString(), environment, ...report }, null, 2)}\n`);
    printTable(report.columns, report.rows);
    console.log(report.missed.length > 0 ? `\ntargets missed: ${report.missed.join('; ')}` : '\nall targets met');
    console.log(`results: ${file}`);
  } catch (err) {
    failed = true;
    console.error(`benchmark ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
process.exitCode = failed ? 1 : 0;
