/**
 * The process streams a command uses, passed in rather than read from `process` so that tests can
 * run the whole CLI in-process.
 */
export interface CliIo {
  stdin: AsyncIterable<string | Uint8Array>;
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  env: Readonly<Record<string, string | undefined>>;
}
