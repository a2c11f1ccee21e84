import type { Logger } from 'pino'
import type { KeyRing } from './auth.ts'
import type { CollectorSettings, TenantAccess } from './config.ts'
import type { GatewayLink } from './gateway-link.ts'
import type { CollectorMetrics } from './metrics.ts'
import type { AdmissionControl } from './ingest/admission.ts'
import type { Ingest } from './ingest/consume.ts'
import type { Forwarder } from './forward/forwarder.ts'
import type { Store } from './storage/store.ts'

/** What the collector's HTTP plugins share. */
export interface CollectorDeps {
  settings: CollectorSettings
  store: Store
  /** Normalizes, deduplicates and writes a decoded OTLP request (the step behind the receiver). */
  ingest: Ingest
  /** Decides, before a body is read, whether a request can be acknowledged in time. */
  admission: AdmissionControl
  /** Copies stored requests to collector.forward destinations; absent when none are configured. */
  forwarder?: Forwarder
  keys: KeyRing
  /** The configured tenants (for their budgets). */
  tenants: TenantAccess[]
  metrics: CollectorMetrics
  logger: Logger
  /** The gateway's admin API, relayed for the dashboard (`/api/admin/*`, `/api/keys`). */
  gateway: GatewayLink
}
