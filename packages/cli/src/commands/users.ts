import type { UserView } from '@portcullis/protocol';
import type { Command } from 'commander';
import { type AdminClient, pathSegment } from '../admin-client.ts';
import type { CliIo } from '../cli-io.ts';
import { formatFields, formatTable, quote, toOneLine, writeJson, writeLine, writeResult } from '../output.ts';
import { readPasswordFromStdin } from '../read-password.ts';
import { verbContext } from '../verb-context.ts';

interface CreateOptions {
  passwordStdin: true;
  email?: string;
  givenName?: string;
  familyName?: string;
}

export function addUsersCommands(program: Command, io: CliIo): void {
  const users = program.command('users').description('manage users who sign in through the gateway');

  users
    .command('create')
    .description('create a user, reading the password from standard input')
    .argument('<name>', 'the username')
    .requiredOption('--password-stdin', 'read the password from standard input (one trailing newline is dropped)')
    .option('--email <email>', "the user's email address")
    .option('--given-name <name>', "the user's given name")
    .option('--family-name <name>', "the user's family name")
    .action(async (name: string, options: CreateOptions, command: Command) => {
      const ctx = verbContext(io, command);
      const password = await readPasswordFromStdin(io);
      const user = await ctx.client().post<UserView>('/users', {
        username: name,
        password,
        email: options.email,
        given_name: options.givenName,
        family_name: options.familyName,
      });
      if (ctx.json) writeJson(io, user);
      else writeLine(io, `created user ${quote(user.username)} (id ${toOneLine(user.id)})`);
    });

  users
    .command('list')
    .description('list users')
    .action(async (_options: object, command: Command) => {
      const ctx = verbContext(io, command);
      const body = { users: await listAllUsers(ctx.client()) };
      if (ctx.json) return writeJson(io, body);
      if (body.users.length === 0) return writeLine(io, 'no users');
      io.stdout.write(
        formatTable(
          ['USERNAME', 'EMAIL', 'NAME', 'STATUS', 'CREATED'],
          body.users.map((user) => [user.username, user.email, fullName(user), user.status, user.created_at]),
        ),
      );
    });

  users
    .command('show')
    .description("show one user's details")
    .argument('<name>', 'the username')
    .action(async (name: string, _options: object, command: Command) => {
      const ctx = verbContext(io, command);
      const user = await ctx.client().get<UserView>(`/users/${pathSegment(name)}`);
      if (ctx.json) return writeJson(io, user);
      io.stdout.write(formatUser(user));
    });

  users
    .command('delete')
    .description('delete a user')
    .argument('<name>', 'the username')
    .action(async (name: string, _options: object, command: Command) => {
      const ctx = verbContext(io, command);
      await ctx.client().delete(`/users/${pathSegment(name)}`);
      writeResult(io, ctx.json, { username: name, deleted: true }, `deleted user ${quote(name)}`);
    });

  users
    .command('set-password')
    .description("replace a user's password, reading the new one from standard input")
    .argument('<name>', 'the username')
    .requiredOption('--password-stdin', 'read the password from standard input (one trailing newline is dropped)')
    .action(async (name: string, _options: object, command: Command) => {
      const ctx = verbContext(io, command);
      const password = await readPasswordFromStdin(io);
      await ctx.client().put(`/users/${pathSegment(name)}/password`, { password });
      writeResult(io, ctx.json, { username: name, password_changed: true }, `changed the password of user ${quote(name)}`);
    });
}

function formatUser(user: UserView): string {
  return formatFields([
    ['username', user.username],
    ['id', user.id],
    ['email', user.email],
    ['given name', user.given_name],
    ['family name', user.family_name],
    ['status', user.status],
    ['created', user.created_at],
    ['updated', user.updated_at],
  ]);
}

function fullName(user: UserView): string | null {
  const parts = [user.given_name, user.family_name].filter((part) => part !== null && part !== '');
  return parts.length === 0 ? null : parts.join(' ');
}

const USERS_PAGE_SIZE = 1000;

/** The API pages users (default 100); the CLI lists them all, as a reader of its output expects. */
async function listAllUsers(client: AdminClient): Promise<UserView[]> {
  const users: UserView[] = [];
  for (;;) {
    const page = await client.get<{ users: UserView[] }>(`/users?limit=${USERS_PAGE_SIZE}&offset=${users.length}`);
    // A repeated first user means the server ignored the offset: stop rather than loop forever.
    if (page.users.length === 0 || (users.length > 0 && page.users[0]?.id === users[0]?.id)) break;
    users.push(...page.users);
    if (page.users.length < USERS_PAGE_SIZE) break;
  }
  return users;
}
