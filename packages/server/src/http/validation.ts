import type { ErrorObject } from 'ajv';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import fastJson from 'fast-json-stringify';
import type { FastifyInstance, FastifySchema } from 'fastify';

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/**
 * Compiles a schema on its first use rather than when the server starts: start-up stays fast
 * however many routes there are, and each route pays a few milliseconds once.
 */
function lazyValidator(compile: () => Validator): Validator {
  let compiled: Validator | undefined;
  const validate: Validator = (data) => {
    compiled ??= compile();
    const ok = compiled(data);
    validate.errors = compiled.errors ?? null;
    return ok;
  };
  return validate;
}

/**
 * Bodies are checked strictly: a wrong type or an unknown field is an error, never silently
 * coerced or dropped. Query strings and path parameters are text on the wire, so they are coerced.
 */
export function registerValidation(app: FastifyInstance): void {
  const strict = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false, strict: false });
  const lenient = new Ajv({ coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false, strict: false });
  addFormats.default(strict);
  addFormats.default(lenient);
  app.setValidatorCompiler<FastifySchema>(({ schema, httpPart }) =>
    lazyValidator(() => (httpPart === 'body' ? strict : lenient).compile(schema as object) as Validator),
  );
  app.setSerializerCompiler(({ schema }) => {
    let serialize: ((data: unknown) => string) | undefined;
    return (data: unknown) => {
      serialize ??= fastJson(schema as Parameters<typeof fastJson>[0]) as (data: unknown) => string;
      return serialize(data);
    };
  });
  app.setSchemaErrorFormatter((errors, dataVar) => new Error(describeErrors(errors as ErrorObject[], dataVar)));
}

function describeErrors(errors: ErrorObject[], dataVar: string): string {
  const first = errors[0];
  if (!first) return `${dataVar} is invalid`;
  const where = `${dataVar}${first.instancePath.replaceAll('/', '.')}`;
  if (first.keyword === 'additionalProperties') {
    return `${where} has an unknown field "${(first.params as { additionalProperty: string }).additionalProperty}"`;
  }
  if (first.keyword === 'required')
    return `${where} is missing the field "${(first.params as { missingProperty: string }).missingProperty}"`;
  return `${where} ${first.message ?? 'is invalid'}`;
}
