import type { Command } from 'commander';
import { type AdminClient, createAdminClient, parseServerUrl } from './admin-client.ts';
import { UsageError } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';

export const DEFAULT_SERVER = 'http://localhost:8080';

/** The options every verb accepts, declared once on the program (see main.ts). */
export interface GlobalOptions {
  server?: string;
  adminKey?: string;
  json?: boolean;
}

/** What a verb's action needs: where to write, how to format, and whom to ask. */
export interface VerbContext {
  io: CliIo;
  json: boolean;
  /** Built on first use, so a verb that fails on its own arguments never needs a key. */
  client(): AdminClient;
}

export function verbContext(io: CliIo, command: Command): VerbContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  return {
    io,
    json: options.json === true,
    client() {
      const server = parseServerUrl(options.server ?? nonEmpty(io.env.PORTCULLIS_SERVER) ?? DEFAULT_SERVER);
      const adminKey = options.adminKey ?? nonEmpty(io.env.PORTCULLIS_ADMIN_KEY);
      if (adminKey === undefined || adminKey === '') {
        throw new UsageError('no admin key: pass --admin-key KEY or set PORTCULLIS_ADMIN_KEY');
      }
      return createAdminClient({ server, adminKey });
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}
