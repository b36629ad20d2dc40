import {
  API_ATTESTATION_MODES,
  API_BINDINGS,
  API_IDENTITY_MODES,
  type ApiAttestationMode,
  type ApiBinding,
  type ApiIdentityMode,
  type ApiInjection,
  type ApiRateLimit,
  type ApiRouteView,
  RATE_LIMIT_KEYS,
  type RateLimitKey,
} from '@portcullis/protocol';
import type { Command } from 'commander';
import { pathSegment } from '../admin-client.ts';
import { UsageError } from '../cli-error.ts';
import type { CliIo } from '../cli-io.ts';
import { formatFields, formatTable, toOneLine, writeJson, writeLine, writeResult } from '../output.ts';
import { verbContext } from '../verb-context.ts';

interface AddOptions {
  upstream: string;
  scope?: string[];
  /** `--no-attestation` makes this `false`; `--attestation MODE` a string; neither leaves it unset. */
  attestation?: string | false;
  binding?: string;
  identity?: string;
  /** `--no-auth` alone makes commander default this to true; only `false` is sent. */
  auth: boolean;
  injectSecret?: string[];
  stripPrefix?: true;
  method?: string[];
  audience?: string;
  corsOrigin?: string[];
  rateLimit?: string;
  bodyLimit?: string;
  timeout?: string;
  caseInsensitive?: true;
}

/** The body of `POST /admin/v1/apis`; unset fields take the server's defaults. */
interface ApiRouteInput {
  match: string;
  upstream: string;
  strip_prefix?: boolean;
  methods?: string[];
  auth?: 'required' | 'off';
  scopes?: string[];
  audience?: string;
  attestation?: ApiAttestationMode;
  binding?: ApiBinding;
  identity?: ApiIdentityMode;
  cors_origins?: string[];
  rate_limit?: ApiRateLimit;
  body_limit?: number;
  timeout_ms?: number;
  inject?: ApiInjection[];
  case_sensitive?: boolean;
}

const WINDOW_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

export function addApiCommands(program: Command, io: CliIo): void {
  const api = program
    .command('api')
    .description('protect APIs: check tokens, attestation and binding, then forward to the upstream');

  withRouteOptions(
    api
      .command('add')
      .description('protect a host and/or path prefix and forward its requests to an upstream')
      .argument('<host-or-path>', 'api.example.com, /books, or api.example.com/books'),
  ).action(async (match: string, options: AddOptions, command: Command) => {
    const body = routeInput(match, options);
    const ctx = verbContext(io, command);
    const added = await ctx.client().post<ApiRouteView>('/apis', body);
    writeResult(
      io,
      ctx.json,
      added,
      `added ${toOneLine(added.id)}: ${toOneLine(routeMatch(added))} → ${toOneLine(added.upstream)} (attestation ${added.attestation}, binding ${added.binding})`,
    );
  });

  withRouteOptions(
    api
      .command('update')
      .description(
        'replace a route: same id, new match and settings, in effect at once with no gap (unset options take their defaults)',
      )
      .argument('<id>', 'the route, as api list shows it')
      .argument('<host-or-path>', 'api.example.com, /books, or api.example.com/books'),
  ).action(async (id: string, match: string, options: AddOptions, command: Command) => {
    const body = routeInput(match, options);
    const ctx = verbContext(io, command);
    const updated = await ctx.client().put<ApiRouteView>(`/apis/${pathSegment(id)}`, body);
    writeResult(
      io,
      ctx.json,
      updated,
      `updated ${toOneLine(updated.id)}: ${toOneLine(routeMatch(updated))} → ${toOneLine(updated.upstream)} (attestation ${updated.attestation}, binding ${updated.binding})`,
    );
  });

  api
    .command('list')
    .description('list protected API routes')
    .action(async (_options: object, command: Command) => {
      const ctx = verbContext(io, command);
      const body = await ctx.client().get<{ apis: ApiRouteView[] }>('/apis');
      if (ctx.json) return writeJson(io, body);
      if (body.apis.length === 0) return writeLine(io, 'no API routes');
      io.stdout.write(
        formatTable(
          ['ID', 'MATCH', 'UPSTREAM', 'AUTH', 'ATTESTATION', 'BINDING', 'SCOPES'],
          body.apis.map((route) => [
            route.id,
            routeMatch(route),
            route.upstream,
            route.auth,
            route.attestation,
            route.binding,
            joinList(route.scopes, ','),
          ]),
        ),
      );
    });

  api
    .command('show')
    .description("show one protected API route's settings")
    .argument('<id>', 'the route id, as api list shows it')
    .action(async (id: string, _options: object, command: Command) => {
      const ctx = verbContext(io, command);
      const route = await ctx.client().get<ApiRouteView>(`/apis/${pathSegment(id)}`);
      if (ctx.json) return writeJson(io, route);
      io.stdout.write(formatRoute(route));
    });

  api
    .command('remove')
    .description('remove a protected API route (takes effect at once)')
    .argument('<id>', 'the route id, as api list shows it')
    .action(async (id: string, _options: object, command: Command) => {
      const ctx = verbContext(io, command);
      await ctx.client().delete(`/apis/${pathSegment(id)}`);
      writeResult(io, ctx.json, { id, removed: true }, `removed ${toOneLine(id)}`);
    });
}

/** Checks what the CLI can check on its own (bad usage, exit 2); the server checks the rest. */
/** The options that describe a route, shared by add and update. */
function withRouteOptions(command: Command): Command {
  return command
    .requiredOption('--upstream <url>', 'the http(s) URL requests go to, e.g. http://books.internal:8080')
    .option('--scope <scope...>', 'a scope every access token must carry (repeatable)')
    .option('--no-attestation', 'no attestation token needed (same as --attestation off)')
    .option('--attestation <mode>', `attestation token: ${API_ATTESTATION_MODES.join(', ')} (default required)`)
    .option('--binding <binding>', `how calls are sender-constrained: ${API_BINDINGS.join(', ')} (default dpop)`)
    .option('--identity <mode>', `how the upstream learns the caller: ${API_IDENTITY_MODES.join(', ')} (default headers)`)
    .option('--no-auth', 'no access token needed (a public route; attestation may still be)')
    .option(
      '--inject-secret <header=secret...>',
      'send a runtime secret upstream in this header, e.g. X-Api-Key=books_key (repeatable)',
    )
    .option('--strip-prefix', 'remove the path prefix before forwarding')
    .option('--method <method...>', 'an accepted HTTP method (repeatable; default any)')
    .option('--audience <uri>', "the aud access tokens must carry (default: this server's issuer)")
    .option('--cors-origin <origin...>', 'a browser origin allowed to call it, e.g. https://app.example.com (repeatable)')
    .option('--rate-limit <n/window[:per]>', `e.g. 100/60s:client or 10/1m; per is ${RATE_LIMIT_KEYS.join(', ')} (default route)`)
    .option('--body-limit <bytes>', 'the largest request body forwarded')
    .option('--timeout <ms>', 'how long the upstream may take to answer, in milliseconds')
    .option('--case-insensitive', 'match the path prefix case-insensitively');
}

function routeInput(match: string, options: AddOptions): ApiRouteInput {
  const attestation: ApiAttestationMode | undefined =
    options.attestation === false ? 'off' : oneOf(options.attestation, API_ATTESTATION_MODES, '--attestation');
  return {
    match,
    upstream: options.upstream,
    strip_prefix: options.stripPrefix,
    methods: options.method,
    auth: options.auth === false ? 'off' : undefined,
    scopes: options.scope,
    audience: options.audience,
    attestation,
    binding: oneOf(options.binding, API_BINDINGS, '--binding'),
    identity: oneOf(options.identity, API_IDENTITY_MODES, '--identity'),
    cors_origins: options.corsOrigin,
    rate_limit: options.rateLimit === undefined ? undefined : parseRateLimit(options.rateLimit),
    body_limit: options.bodyLimit === undefined ? undefined : wholeNumber(options.bodyLimit, '--body-limit', 'bytes'),
    timeout_ms: options.timeout === undefined ? undefined : wholeNumber(options.timeout, '--timeout', 'milliseconds'),
    inject: options.injectSecret?.map(parseInjection),
    case_sensitive: options.caseInsensitive ? false : undefined,
  };
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], option: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${option} takes one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
  return value as T;
}

/** `X-Api-Key=books_key`: split at the first `=`, so a header name never holds one. */
function parseInjection(text: string): ApiInjection {
  const at = text.indexOf('=');
  const header = at === -1 ? '' : text.slice(0, at);
  const secret = at === -1 ? '' : text.slice(at + 1);
  if (header === '' || secret === '')
    throw new UsageError(`--inject-secret takes HEADER=SECRET, e.g. X-Api-Key=books_key (got ${JSON.stringify(text)})`);
  return { header, secret };
}

/** `100/60s:client`, `10/1m`: N requests per window (s, m or h; plain seconds) per key (default route). */
function parseRateLimit(text: string): ApiRateLimit {
  const match = /^(\d+)\/(\d+)([smh]?)(?::([a-z]+))?$/.exec(text.trim());
  const usage = `--rate-limit takes N/WINDOW[:PER] such as 100/60s:client or 10/1m, PER one of ${RATE_LIMIT_KEYS.join(', ')} (got ${JSON.stringify(text)})`;
  if (!match) throw new UsageError(usage);
  const limit = Number(match[1]);
  const windowS = Number(match[2]) * (WINDOW_UNITS[match[3] || 's'] ?? 1);
  const per = match[4] === undefined ? 'route' : oneOf<RateLimitKey>(match[4], RATE_LIMIT_KEYS, '--rate-limit PER');
  if (limit < 1 || windowS < 1 || per === undefined) throw new UsageError(usage);
  return { limit, window_s: windowS, per };
}

function wholeNumber(text: string, option: string, unit: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${option} takes a whole number of ${unit} (got ${JSON.stringify(text)})`);
  return Number(text);
}

/** HOST_OR_PATH as an admin would type it: `api.example.com/books`, or `/books` for any host. */
function routeMatch(route: ApiRouteView): string {
  return `${route.host ?? ''}${route.path_prefix}`;
}

function formatRoute(route: ApiRouteView): string {
  return formatFields([
    ['id', route.id],
    ['match', routeMatch(route)],
    ['host', route.host ?? 'any'],
    ['path prefix', route.path_prefix],
    ['upstream', route.upstream],
    ['strip prefix', yesNo(route.strip_prefix)],
    ['methods', route.methods === null ? 'any' : joinList(route.methods)],
    ['auth', route.auth],
    ['scopes', joinList(route.scopes)],
    ['audience', route.audience ?? "this server's issuer"],
    ['attestation', route.attestation],
    ['binding', route.binding],
    ['identity', route.identity],
    ['cors origins', joinList(route.cors_origins)],
    [
      'rate limit',
      route.rate_limit ? `${route.rate_limit.limit}/${route.rate_limit.window_s}s per ${route.rate_limit.per}` : 'none',
    ],
    ['body limit', typeof route.body_limit === 'number' ? `${route.body_limit} bytes` : undefined],
    ['timeout', typeof route.timeout_ms === 'number' ? `${route.timeout_ms}ms` : undefined],
    ['inject', Array.isArray(route.inject) ? route.inject.map((i) => `${i.header}=${i.secret}`).join(' ') : undefined],
    ['case sensitive', yesNo(route.case_sensitive)],
    ['created', route.created_at],
  ]);
}

/** Tolerates a field the server left out, so an older or newer server still shows. */
function joinList(values: readonly string[] | undefined, separator = ' '): string | undefined {
  return Array.isArray(values) ? values.join(separator) : undefined;
}

function yesNo(value: boolean | undefined): string | undefined {
  return value === undefined ? undefined : value ? 'yes' : 'no';
}
