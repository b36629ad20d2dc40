import { Command, CommanderError, Option } from 'commander';
import { CliError, EXIT_FAILURE, EXIT_SUCCESS, EXIT_USAGE } from './cli-error.ts';
import type { CliIo } from './cli-io.ts';
import { addAdminKeysCommands } from './commands/admin-keys.ts';
import { addApiCommands } from './commands/api.ts';
import { addAppsCommands } from './commands/apps.ts';
import { addAttestCommands } from './commands/attest.ts';
import { addClientsCommands } from './commands/clients.ts';
import { addDevicesCommands } from './commands/devices.ts';
import { addKeysCommands } from './commands/keys.ts';
import { addPinsCommands, addSdkCommands } from './commands/pins.ts';
import { addPolicyCommands } from './commands/policy.ts';
import { addSecretsCommands } from './commands/secrets.ts';
import { addServeCommand } from './commands/serve.ts';
import { addUsersCommands } from './commands/users.ts';
import { toOneLine } from './output.ts';
import { DEFAULT_SERVER } from './verb-context.ts';

export type { CliIo } from './cli-io.ts';

/**
 * Runs one `portcullis` command line and resolves to its exit code: 0 success, 1 failed operation,
 * 2 bad usage. Never throws and never calls `process.exit`, so tests can run it in-process.
 *
 * @example
 * const code = await run(['users', 'list', '--json'], { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_SUCCESS;
  } catch (error) {
    return exitCodeFor(error, io);
  }
}

function buildProgram(io: CliIo): Command {
  const program = new Command('portcullis')
    .description('Portcullis, the mobile API security gateway: run the server and administer it')
    .addOption(globalOption('--server <url>', `admin API base URL (env PORTCULLIS_SERVER, default ${DEFAULT_SERVER})`))
    .addOption(globalOption('--admin-key <key>', 'admin API key (env PORTCULLIS_ADMIN_KEY)'))
    .addOption(globalOption('--json', 'print one JSON document on stdout instead of text'))
    // Settings below are copied to every subcommand created afterwards with .command().
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Commander's own usage errors: one line, in the same form as every other error.
      outputError: (text, write) => write(`portcullis: ${toOneLine(text.trim().replace(/^error: /, ''))}\n`),
    });
  addServeCommand(program, io);
  addUsersCommands(program, io);
  addClientsCommands(program, io);
  addAppsCommands(program, io);
  addAttestCommands(program, io);
  addDevicesCommands(program, io);
  addSecretsCommands(program, io);
  addApiCommands(program, io);
  addPinsCommands(program, io);
  addSdkCommands(program, io);
  addPolicyCommands(program, io);
  addAdminKeysCommands(program, io);
  addKeysCommands(program, io);
  return program;
}

/** Declared on the program, accepted after any verb, and listed in every verb's help. */
function globalOption(flags: string, description: string): Option {
  return new Option(flags, description).helpGroup('Global Options:');
}

function exitCodeFor(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // `--help` exits 0; help shown because a noun lacked its verb is a usage error like the rest.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_SUCCESS;
    return EXIT_USAGE;
  }
  if (error instanceof CliError) {
    io.stderr.write(`portcullis: ${toOneLine(error.message)}\n`);
    return error.exitCode;
  }
  // A bug in the CLI: still one line, never a stack trace.
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`portcullis: unexpected error: ${toOneLine(message)}\n`);
  return EXIT_FAILURE;
}
