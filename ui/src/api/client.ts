// The UI's only way to data: the collector's typed client (same-origin in the browser).
export { CollectorApiError, CollectorClient, nsToDate } from '../../../collector/client.ts'
export type * from '../../../collector/client.ts'
export type * from '../../../lib/admin-api.ts'
