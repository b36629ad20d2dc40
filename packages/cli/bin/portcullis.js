#!/usr/bin/env node
// Plain JavaScript, so that an older Node.js can still say why it cannot run the TypeScript sources.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    "portcullis needs Node.js 24 or later (run it through npx or npm scripts, which use the project's pinned Node)\n",
  );
  process.exit(2);
} else {
  // V8's compile cache (in the OS temp dir) roughly halves module loading on every start after the first.
  const { enableCompileCache } = await import('node:module');
  enableCompileCache?.();
  // A reader that closes the pipe early (`portcullis users list | head`) is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  const { run } = await import('../src/main.ts');
  const code = await run(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
  // exitCode rather than process.exit() so that output to a pipe is flushed first; the unref'd
  // timer still ends a process that something (a lingering socket) would otherwise keep alive.
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
}
