export type { Database } from './database.ts';
export { deleteExpiredRows, type ExpiringTable } from './delete-expired.ts';
export { migrateToLatest, SchemaError } from './migrate.ts';
export { type DatabaseHandle, type Dialect, type OpenDatabaseOptions, openDatabase } from './open-database.ts';
export { isUniqueViolation } from './unique-violation.ts';
