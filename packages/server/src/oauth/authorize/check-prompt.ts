import { OAuthError } from '../../http/errors.ts';
import { param } from '../token/form.ts';
import type { AuthorizationContext, Prompt } from './authorization-context.ts';

const PROMPTS: readonly Prompt[] = ['none', 'login', 'consent'];

// OIDC Core §3.1.2.1: prompt is a space-separated list; `none` stands alone. max_age is seconds.
export function checkPrompt(ctx: AuthorizationContext): void {
  const raw = param(ctx.params, 'prompt');
  const prompt = raw ? [...new Set(raw.split(' ').filter(Boolean))] : [];
  for (const p of prompt)
    if (!PROMPTS.includes(p as Prompt)) throw new OAuthError('invalid_request', `prompt ${p} is not supported`);
  if (prompt.includes('none') && prompt.length > 1)
    throw new OAuthError('invalid_request', 'prompt=none cannot be combined with other values');
  ctx.request.prompt = prompt as Prompt[];
  const maxAge = param(ctx.params, 'max_age');
  if (maxAge !== undefined) {
    if (!/^\d{1,9}$/.test(maxAge)) throw new OAuthError('invalid_request', 'max_age must be a number of seconds');
    ctx.request.maxAge = Number(maxAge);
  }
  const loginHint = param(ctx.params, 'login_hint');
  if (loginHint !== undefined) ctx.request.loginHint = loginHint.slice(0, 256);
}
