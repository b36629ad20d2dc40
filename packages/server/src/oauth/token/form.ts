import { OAuthError } from '../../http/errors.ts';

export type FormBody = Record<string, string | string[]>;

/** application/x-www-form-urlencoded, decoded by URLSearchParams; a repeated name becomes a list. */
export function parseForm(body: string): FormBody {
  const form: FormBody = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const seen = form[name];
    if (seen === undefined) form[name] = value;
    else form[name] = Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return form;
}

/**
 * One parameter's value. RFC 6749 §3.1/§3.2: parameters MUST NOT repeat; a parameter sent
 * without a value is treated as omitted.
 */
export function param(form: FormBody, name: string): string | undefined {
  const value = form[name];
  if (Array.isArray(value)) throw new OAuthError('invalid_request', `the ${name} parameter is repeated`);
  return value === '' ? undefined : value;
}

export function requiredParam(form: FormBody, name: string): string {
  const value = param(form, name);
  if (value === undefined) throw new OAuthError('invalid_request', `the ${name} parameter is required`);
  return value;
}

/** A parameter that may legitimately repeat (RFC 8707 `resource`). */
export function listParam(form: FormBody, name: string): string[] {
  const value = form[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v) => v !== '');
}
