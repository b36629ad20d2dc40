import { OAuthError } from '../../http/errors.ts';

export type FormBody = Record<string, string | string[]>;

/** No OAuth request needs more parameters than this; more is an attempt to make parsing expensive. */
const MAX_PARAMETERS = 100;

/**
 * application/x-www-form-urlencoded, decoded by URLSearchParams; a repeated name becomes a list.
 * The object has no prototype, so a `__proto__` parameter is just a parameter.
 */
export function parseForm(body: string): FormBody {
  const form: FormBody = Object.create(null);
  let count = 0;
  for (const [name, value] of new URLSearchParams(body)) {
    if (++count > MAX_PARAMETERS) throw new OAuthError('invalid_request', `at most ${MAX_PARAMETERS} parameters are accepted`);
    const seen = form[name];
    if (seen === undefined) form[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else form[name] = [seen, value];
  }
  return form;
}

/**
 * One parameter's value. RFC 6749 §3.1/§3.2: parameters MUST NOT repeat; a parameter sent
 * without a value is treated as omitted. Anything but a string (a JSON body) is refused.
 */
export function param(form: FormBody, name: string): string | undefined {
  const value = Object.hasOwn(form, name) ? form[name] : undefined;
  if (Array.isArray(value)) throw new OAuthError('invalid_request', `the ${name} parameter is repeated`);
  if (value !== undefined && typeof value !== 'string')
    throw new OAuthError('invalid_request', `the ${name} parameter must be a string`);
  return value === '' ? undefined : value;
}

export function requiredParam(form: FormBody, name: string): string {
  const value = param(form, name);
  if (value === undefined) throw new OAuthError('invalid_request', `the ${name} parameter is required`);
  return value;
}

/** A parameter that may legitimately repeat (RFC 8707 `resource`). */
export function listParam(form: FormBody, name: string): string[] {
  const value = Object.hasOwn(form, name) ? form[name] : undefined;
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  if (values.some((v) => typeof v !== 'string'))
    throw new OAuthError('invalid_request', `the ${name} parameter must be a string`);
  return values.filter((v) => v !== '');
}
