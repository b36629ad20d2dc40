#!/usr/bin/env node
// Plain JavaScript, so that an older Node.js can still say why it cannot run the TypeScript sources.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    "portcullis needs Node.js 24 or later (run it through npx or npm scripts, which use the project's pinned Node)\n",
  );
  process.exit(2);
} else {
  // Two start-up settings keep a busy server's resident set small, and both only work when the
  // process starts, so `serve` replaces itself (same pid, execve) with a Node that has them, unless
  // the operator chose them already:
  // - V8 grows a busy gateway's young generation to 128 MB of semi-spaces that it never gives back;
  //   8 MB semi-spaces hold the gateway bench's server to ~170 MB instead of ~210 with 16 MB;
  // - glibc gives each thread that allocates (libuv's pool, V8's helpers) an arena of its own, up to
  //   eight per core, each keeping its freed memory; two arenas cut another ~15 MB under load and
  //   ~7 MB at idle.
  // The smaller semi-spaces cost the token endpoint about 4 % of its tokens per CPU-second at 64
  // connections (paired rounds against 16 MB); the gateway showed no cost (README, Benchmarks).
  const flag = '--max-semi-space-size';
  const chosen = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith(flag));
  const arenas = process.platform === 'linux' && process.env.MALLOC_ARENA_MAX === undefined;
  if (process.argv[2] === 'serve' && (!chosen || arenas) && typeof process.execve === 'function') {
    process.execve(
      process.execPath,
      [process.execPath, ...(chosen ? [] : [`${flag}=8`]), ...process.execArgv, ...process.argv.slice(1)],
      arenas ? { ...process.env, MALLOC_ARENA_MAX: '2' } : process.env,
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
