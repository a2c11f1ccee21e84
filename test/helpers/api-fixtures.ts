import { randomBytes } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import { storageConfigSchema, type TenantAccess } from '../../collector/config.ts'
import { CollectorClient } from '../../collector/client.ts'
import { createStorageClient } from '../../collector/storage/client.ts'
import type { SpanRow } from '../../collector/storage/span-row.ts'
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from './collector.ts'

export const hex = (bytes: number) => randomBytes(bytes).toString('hex')

/** Two tenants with read keys, plus the admin token, for isolation tests. */
export const TENANTS: TenantAccess[] = [
  { id: 'acme', ingestKeys: ['acme-ingest'], readKeys: ['acme-read'] },
  { id: 'globex', ingestKeys: ['globex-ingest'], readKeys: ['globex-read'] },
]
export const READ_KEYS = { acme: 'acme-read', globex: 'globex-read' } as const

export interface ApiHarness {
  collector: TestCollector
  /** A second @clickhouse/client on the collector's chDB directory, to insert fixtures straight into the store. */
  db: ClickHouseClient
  admin: CollectorClient
  tenant(id: keyof typeof READ_KEYS): CollectorClient
  insertSpans(rows: SpanRow[]): Promise<void>
  /** fetch against the collector with an optional bearer token. */
  raw(path: string, init?: RequestInit & { token?: string }): Promise<Response>
  close(): Promise<void>
}

/** `tenants` replaces the default two (keep `acme`/`globex` with their read keys for `tenant()`). */
export async function startApiHarness(
  options: { tenants?: TenantAccess[]; collector?: Record<string, unknown> } = {},
): Promise<ApiHarness> {
  const collector = await startTestCollector({ tenants: options.tenants ?? TENANTS, collector: options.collector })
  const db = await createStorageClient(storageConfigSchema.parse({ path: collector.dataDir }))
  const client = (token: string) => new CollectorClient({ baseUrl: collector.url, token })
  return {
    collector,
    db,
    admin: client(ADMIN_TOKEN),
    tenant: (id) => client(READ_KEYS[id]),
    insertSpans: async (rows) => {
      await db.insert({ table: 'loopgate.spans', values: rows, format: 'JSONEachRow' })
    },
    raw: (path, init = {}) => {
      const { token, headers, ...rest } = init
      return fetch(`${collector.url}${path}`, {
        ...rest,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(headers as Record<string, string> | undefined),
        },
      })
    },
    close: async () => {
      await db.close()
      await collector.close()
    },
  }
}

/** Nanoseconds since the epoch, `msAgo` milliseconds before now (fixtures must be inside the TTL). */
export const nsAgo = (msAgo: number): bigint => (BigInt(Date.now()) - BigInt(Math.round(msAgo))) * 1_000_000n
