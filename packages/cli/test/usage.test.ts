// What the CLI decides on its own, before or without a server: usage errors, stdin handling,
// network failures. The admin verbs against a real server are in admin-verbs.test.ts.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { adminUrl, pathSegment } from '../src/admin-client.ts';
import { run } from '../src/main.ts';
import { formatTable, toOneLine } from '../src/output.ts';
import { closedPort, runCli, startServer } from './cli-process.ts';

async function runInProcess(argv: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env: options.env ?? {},
  });
  return { code, stdout, stderr };
}

function assertOneLine(stderr: string): void {
  assert.match(stderr, /^portcullis: [^\n]+\n$/);
  assert.doesNotMatch(stderr, /\n\s+at /);
}

describe('usage errors exit 2 with one line', () => {
  it('rejects an unknown verb', async () => {
    const result = await runInProcess(['users', 'frobnicate']);
    assert.equal(result.code, 2);
    assertOneLine(result.stderr);
    assert.match(result.stderr, /frobnicate/);
  });

  it('rejects an unknown noun', async () => {
    const result = await runInProcess(['gadgets', 'list']);
    assert.equal(result.code, 2);
    assertOneLine(result.stderr);
  });

  it('requires --password-stdin on users create', async () => {
    const result = await runInProcess(['users', 'create', 'bob', '--admin-key', 'k'], { stdin: 'secret\n' });
    assert.equal(result.code, 2);
    assertOneLine(result.stderr);
    assert.match(result.stderr, /--password-stdin/);
  });

  it('rejects an empty password on stdin', async () => {
    for (const stdin of ['', '\n', '\r\n']) {
      const result = await runInProcess(['users', 'create', 'bob', '--password-stdin', '--admin-key', 'k'], { stdin });
      assert.equal(result.code, 2, JSON.stringify(stdin));
      assertOneLine(result.stderr);
      assert.match(result.stderr, /empty/);
    }
  });

  it('rejects a role outside admin, developer, auditor', async () => {
    const result = await runInProcess(['admin-keys', 'create', '--role', 'root', '--admin-key', 'k']);
    assert.equal(result.code, 2);
    assertOneLine(result.stderr);
  });

  it('needs an admin key', async () => {
    const result = await runInProcess(['users', 'list']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'portcullis: no admin key: pass --admin-key KEY or set PORTCULLIS_ADMIN_KEY\n');
  });

  it('needs an http(s) server URL', async () => {
    const result = await runInProcess(['users', 'list', '--server', 'localhost:8080'], { env: { PORTCULLIS_ADMIN_KEY: 'k' } });
    assert.equal(result.code, 2);
    assertOneLine(result.stderr);
  });

  it('shows a noun without its verb as help on stderr', async () => {
    const result = await runInProcess(['users']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Usage: portcullis users/);
  });
});

describe('help', () => {
  it('describes every verb in one line and exits 0', async () => {
    const verbs = [
      ['serve'],
      ['users', 'create'],
      ['users', 'list'],
      ['users', 'show'],
      ['users', 'delete'],
      ['users', 'set-password'],
      ['admin-keys', 'create'],
      ['admin-keys', 'list'],
      ['admin-keys', 'revoke'],
      ['keys', 'list'],
      ['keys', 'rotate'],
    ];
    for (const verb of verbs) {
      const result = await runInProcess([...verb, '--help']);
      assert.equal(result.code, 0, verb.join(' '));
      const lines = result.stdout.split('\n');
      assert.match(lines[0]!, new RegExp(`^Usage: portcullis ${verb.join(' ')}`));
      assert.equal(lines[1], '');
      assert.match(lines[2]!, /^[a-z].+[^.]$/, `${verb.join(' ')} has a one-line description`);
      assert.equal(lines[3], '');
      assert.match(result.stdout, /--json/, `${verb.join(' ')} lists --json`);
    }
  });
});

describe('--password-stdin', () => {
  it('sends the whole of stdin less one trailing newline, and never echoes it', async () => {
    // Nothing listens, so the request fails after the password was read: proof it was accepted.
    const port = await closedPort();
    const result = await runInProcess(
      ['users', 'create', 'bob', '--password-stdin', '--server', `http://127.0.0.1:${port}`, '--admin-key', 'k'],
      { stdin: 'pass word\n\n' },
    );
    assert.equal(result.code, 1);
    assert.doesNotMatch(result.stdout + result.stderr, /pass word/);
  });
});

describe('an unreachable server', () => {
  it('fails with exit 1 and one line naming the server and the socket error', async () => {
    const port = await closedPort();
    const server = `http://127.0.0.1:${port}`;
    const result = await runCli(['users', 'list', '--server', server, '--admin-key', 'k']);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `portcullis: cannot reach the server at ${server} (ECONNREFUSED)\n`);
    assert.equal(result.stdout, '');
  });

  it('reads the server and key from the environment', async () => {
    const port = await closedPort();
    const server = `http://127.0.0.1:${port}`;
    const result = await runCli(['keys', 'list'], { env: { PORTCULLIS_SERVER: server, PORTCULLIS_ADMIN_KEY: 'k' } });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `portcullis: cannot reach the server at ${server} (ECONNREFUSED)\n`);
  });
});

describe('the launcher', () => {
  it('exits 2 on an unknown verb', async () => {
    const result = await runCli(['frobnicate']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, "portcullis: unknown command 'frobnicate'\n");
  });
});

describe('serve', () => {
  it('exits 1 with the start-up error in one line', async () => {
    const result = await runCli(['serve'], { env: { PORTCULLIS_HTTP_PORT: 'eighty' } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^portcullis: [^\n]*PORTCULLIS_HTTP_PORT[^\n]*\n$/);
  });

  // The start-up settings that keep a busy server's resident set small (bin/portcullis.js).
  const linux = process.platform === 'linux';
  const startedWith = async (env: Record<string, string | undefined>) => {
    const server = await startServer(env);
    try {
      const args = (await readFile(`/proc/${server.pid}/cmdline`, 'utf8')).split('\0');
      const vars = (await readFile(`/proc/${server.pid}/environ`, 'utf8')).split('\0');
      return { args, arenas: vars.find((v) => v.startsWith('MALLOC_ARENA_MAX=')) };
    } finally {
      assert.equal((await server.stop()).code, 0);
    }
  };

  it('starts with 8 MB semi-spaces and two malloc arenas', { skip: !linux && 'reads /proc' }, async () => {
    const { args, arenas } = await startedWith({ NODE_OPTIONS: undefined, MALLOC_ARENA_MAX: undefined });
    assert.ok(args.includes('--max-semi-space-size=8'), args.join(' '));
    assert.equal(arenas, 'MALLOC_ARENA_MAX=2');
  });

  it("keeps the operator's own semi-space size and arena count", { skip: !linux && 'reads /proc' }, async () => {
    const { args, arenas } = await startedWith({ NODE_OPTIONS: '--max-semi-space-size=4', MALLOC_ARENA_MAX: '4' });
    assert.ok(!args.some((a) => a.startsWith('--max-semi-space-size')), args.join(' '));
    assert.equal(arenas, 'MALLOC_ARENA_MAX=4');
  });
});

describe('building blocks', () => {
  it('puts a username into one path segment', () => {
    assert.equal(
      adminUrl('http://gw.example/', `/users/${pathSegment('a/b?c#d %')}`),
      'http://gw.example/admin/v1/users/a%2Fb%3Fc%23d%20%25',
    );
  });

  it('keeps a path prefix of the server URL', () => {
    assert.equal(adminUrl('https://example.com/portcullis', '/keys'), 'https://example.com/portcullis/admin/v1/keys');
  });

  it('escapes control characters coming from the server', () => {
    assert.equal(toOneLine('a\nb\u001b[31mc'), 'a b\\u001b[31mc');
  });

  it('aligns table columns and shows empty cells as -', () => {
    assert.equal(
      formatTable(
        ['NAME', 'EMAIL'],
        [
          ['alice', 'a@example.com'],
          ['bob', null],
        ],
      ),
      'NAME   EMAIL\nalice  a@example.com\nbob    -\n',
    );
  });
});
