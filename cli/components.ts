import { randomBytes } from 'node:crypto'
import type { LoopgateConfig } from './config.ts'
import type { Logger } from './logger.ts'

export interface Running {
  name: string
  url?: string
  close(): Promise<void>
}

/** What every component gets: the whole config, a logger, and facts shared in one process. */
export interface StartContext {
  config: LoopgateConfig
  logger: Logger
  /** A random token minted per `loopgate start`: the in-process gateway uses it to export spans the collector trusts. */
  internalToken: string
  demo: boolean
}

type Starter = (ctx: StartContext) => Promise<Running>

/**
 * Each component is imported only when it runs, so `loopgate gateway` never loads chDB.
 * The order is the start order of `loopgate start` (storage owner first).
 */
export const components: Record<string, Starter> = {
  collector: async ({ config, logger, internalToken }) => {
    const { start } = await import('../collector/index.ts')
    const running = await start({
      collector: config.collector,
      storage: config.clickhouse,
      tenants: config.tenants,
      adminToken: config.adminToken,
      trustedIngestTokens: [internalToken],
      logger: logger.child({ component: 'collector' }),
    })
    return { name: 'collector', ...running }
  },
}

export const newInternalToken = () => randomBytes(24).toString('hex')
