import type { CliIo } from './cli-io.ts';

/**
 * Text from the server is shown escaped, so a username or message cannot move the cursor, recolour
 * the terminal or break a one-line error into several.
 */
export function toOneLine(text: string): string {
  return text.replace(/\p{Cc}/gu, (char) => (char === '\n' || char === '\r' || char === '\t' ? ' ' : escapeControl(char)));
}

function escapeControl(char: string): string {
  return `\\u${char.codePointAt(0)!.toString(16).padStart(4, '0')}`;
}

/** `--json`: exactly one JSON document on stdout. */
export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function writeLine(io: CliIo, line: string): void {
  io.stdout.write(`${line}\n`);
}

type Cell = string | null | undefined;

/** A left-aligned table with an upper-case header row; `-` stands for an empty cell. */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = rows.map((row) => headers.map((_, i) => showCell(row[i])));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => row[i]!.length)));
  const render = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [render(headers), ...cells.map(render)].map((line) => `${line}\n`).join('');
}

/** `name: value` lines with the values aligned, for showing one object. */
export function formatFields(fields: readonly (readonly [string, Cell])[]): string {
  const width = Math.max(...fields.map(([name]) => name.length)) + 1;
  return fields.map(([name, value]) => `${`${name}:`.padEnd(width)} ${showCell(value)}\n`).join('');
}

function showCell(value: Cell): string {
  return value === null || value === undefined || value === '' ? '-' : toOneLine(value);
}

/** The result of a verb the server answers with 204: still one JSON document under `--json`. */
export function writeResult(io: CliIo, json: boolean, document: object, line: string): void {
  if (json) writeJson(io, document);
  else writeLine(io, line);
}

export function quote(text: string): string {
  return `"${toOneLine(text)}"`;
}
