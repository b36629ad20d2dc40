export { AdminKeys } from './admin-keys.ts';
export { adminPlugin } from './admin-plugin.ts';
export { AuditLog } from './audit-log.ts';
