import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { collectorConfigSchema, storageConfigSchema, type TenantAccess } from '../../collector/config.ts'
import { start, type CollectorOptions, type RunningCollector } from '../../collector/index.ts'

export const ADMIN_TOKEN = 'admin-token-0123456789abcdef'

export interface TestCollector extends RunningCollector {
  dataDir: string
}

/** A real collector on a fresh (or given) chDB directory and a free port. */
export async function startTestCollector(
  options: {
    dataDir?: string
    tenants?: TenantAccess[]
    collector?: Record<string, unknown>
    onStored?: CollectorOptions['onStored']
    /** The gateway whose admin API `/api/admin/*` relays to (read when called: it may start later). */
    gatewayUrl?: () => string | undefined
  } = {},
): Promise<TestCollector> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'loopgate-collector-'))
  const running = await start({
    collector: collectorConfigSchema.parse({ port: 0, ...options.collector }),
    storage: storageConfigSchema.parse({ path: dataDir }),
    tenants: options.tenants ?? [],
    adminToken: ADMIN_TOKEN,
    logger: pino({ level: process.env.LOG_LEVEL ?? 'silent' }),
    onStored: options.onStored,
    gatewayUrl: options.gatewayUrl,
  })
  return { ...running, dataDir }
}
