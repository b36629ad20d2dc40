#!/usr/bin/env node
// Plain JavaScript, so that an older Node.js can still say why it cannot run the TypeScript sources.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    "portcullis needs Node.js 24 or later (run it through npx or npm scripts, which use the project's pinned Node)\n",
  );
  process.exit(2);
} else {
  // A busy gateway makes V8 grow its young generation to 128 MB of semi-spaces that it never gives
  // back; 16 MB semi-spaces keep the server near 200 MB under load at no measurable cost in
  // throughput. The flag only works at start-up, so `serve` replaces itself (same pid, execve)
  // with a Node that has it, unless the operator chose a size already.
  const flag = '--max-semi-space-size';
  const chosen = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith(flag));
  if (process.argv[2] === 'serve' && !chosen && typeof process.execve === 'function') {
    process.execve(
      process.execPath,
      [process.execPath, `${flag}=16`, ...process.execArgv, ...process.argv.slice(1)],
      process.env,
    );
  }
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
