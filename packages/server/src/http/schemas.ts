import { Type } from 'typebox';

/** The error body of every non-OAuth JSON endpoint, for route schemas and the OpenAPI document. */
export const ErrorSchema = Type.Object(
  {
    error: Type.String(),
    error_description: Type.String(),
    request_id: Type.Optional(Type.String()),
  },
  { $id: 'Error', description: 'Error' },
);

/** The 4xx answers every admin route may give. */
export const adminErrors = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
};

export const DateTime = Type.String({ format: 'date-time' });
export const NullableDateTime = Type.Union([DateTime, Type.Null()]);
