export const EXIT_SUCCESS = 0;
/** The operation was attempted and failed: the server said no, or could not be reached. */
export const EXIT_FAILURE = 1;
/** The command line itself was wrong; nothing was sent to the server. */
export const EXIT_USAGE = 2;

/** An error whose message is the one line printed after `portcullis: `. */
export class CliError extends Error {
  readonly exitCode: typeof EXIT_FAILURE | typeof EXIT_USAGE;

  constructor(message: string, exitCode: typeof EXIT_FAILURE | typeof EXIT_USAGE = EXIT_FAILURE) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
    this.name = 'UsageError';
  }
}
