import { Type } from '@sinclair/typebox';

/** The error body of every non-OAuth JSON endpoint, for route schemas and the OpenAPI document. */
export const ErrorSchema = Type.Object(
  {
    error: Type.String(),
    error_description: Type.String(),
    request_id: Type.Optional(Type.String()),
  },
  { $id: 'Error', description: 'Error' },
);

/**
 * The 4xx answers every admin route may give. They are added to the OpenAPI document only: error
 * bodies are built by one formatter, so compiling a serializer per route and status would only
 * slow start-up.
 */
export const ADMIN_ERROR_RESPONSES = {
  400: { description: 'Invalid request', ...ErrorSchema },
  401: { description: 'Missing, invalid or revoked admin key', ...ErrorSchema },
  403: { description: "the key's role does not allow this", ...ErrorSchema },
  404: { description: 'Not found', ...ErrorSchema },
  409: { description: 'Conflict', ...ErrorSchema },
};

export const DateTime = Type.String({ format: 'date-time' });
/** `type: [T, "null"]` rather than `anyOf`, which serializers handle far more cheaply. */
export const NullableDateTime = Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' });
export const NullableString = Type.Unsafe<string | null>({ type: ['string', 'null'] });
