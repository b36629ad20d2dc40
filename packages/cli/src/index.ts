export type { CliIo } from './cli-io.ts';
export { run } from './main.ts';
