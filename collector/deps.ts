import type { Logger } from 'pino'
import type { KeyRing } from './auth.ts'
import type { CollectorSettings, TenantAccess } from './config.ts'
import type { CollectorMetrics } from './metrics.ts'
import type { SpanRow } from './storage/span-row.ts'
import type { Store } from './storage/store.ts'
import type { SpanWriter } from './storage/writer.ts'

/** What the collector's HTTP plugins share. */
export interface CollectorDeps {
  settings: CollectorSettings
  store: Store
  writer: SpanWriter
  keys: KeyRing
  /** The configured tenants (for their budgets). */
  tenants: TenantAccess[]
  metrics: CollectorMetrics
  logger: Logger
  /** Spans older than this are refused at ingest: the TTL would delete them on arrival. */
  retentionDays: number
  onStored?: (rows: SpanRow[]) => void | Promise<void>
}
