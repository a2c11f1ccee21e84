/**
 * The collector's public face: `start(options)` and the wire types it serves.
 * Other components import only this file, `config.ts` and `client.ts`.
 */
export { start, type CollectorOptions, type RunningCollector } from './server.ts'
export type * from './api/types.ts'
export type { SpanRow as StoredSpan } from './storage/span-row.ts'
