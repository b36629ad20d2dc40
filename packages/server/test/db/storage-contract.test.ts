import { describe } from 'node:test';
import { openPostgresTestDatabase, openSqliteTestDatabase, POSTGRES_URL, SKIP_POSTGRES } from './open-test-database.ts';
import { defineStorageContract } from './storage-contract.ts';

describe('storage contract on SQLite', () => {
  defineStorageContract(openSqliteTestDatabase);
});

describe('storage contract on PostgreSQL', { skip: SKIP_POSTGRES }, () => {
  defineStorageContract(() => openPostgresTestDatabase(POSTGRES_URL!));
});
