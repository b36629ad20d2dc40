import { UsageError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';

/**
 * `--password-stdin`: the whole of stdin is the password, less one trailing newline, so that both
 * `printf %s "$PW" | portcullis ...` and `echo "$PW" | portcullis ...` work. Passwords are never
 * taken as arguments, where they would land in shell history and `ps`.
 */
export async function readPasswordFromStdin(io: CliIo): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of io.stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new UsageError('the password on standard input is not valid UTF-8');
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new UsageError('the password on standard input is empty (--password-stdin reads it from there)');
  return password;
}
