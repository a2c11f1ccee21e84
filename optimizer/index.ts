/**
 * The optimizer's public face: `start(options)` → `{ close() }` runs the cycle on a fixed cadence
 * against the collector (stats in, decisions out) and the gateway (routing table). Also exported:
 * the config schema and the pieces the replay harness composes with in-memory stand-ins.
 */
import { pino, type Logger } from 'pino'
import { CollectorClient } from '../collector/client.ts'
import { optimizerConfigSchema, type OptimizerSettings } from './config.ts'
import { OptimizerCycle, type CycleResult } from './cycle.ts'
import { GatewayRoutingPusher } from './gateway-pusher.ts'
import { GatewayPriceList } from './gateway-prices.ts'
import type { PriceList } from './prices.ts'
import type { RoutingTablePusher } from './pusher.ts'
import { mathRandom } from './random.ts'
import { CollectorDecisionRecorder, type DecisionRecorder } from './recorder.ts'
import { CollectorStatsSource, type RouteStatsSource } from './stats-source.ts'

export { optimizerConfigSchema, type OptimizerSettings } from './config.ts'
export { OptimizerCycle, type CycleResult } from './cycle.ts'
export type { RoutingTablePusher } from './pusher.ts'

export interface OptimizerOptions {
  /** The `optimizer` section of loopgate.yaml, parsed or raw. */
  settings: unknown
  /** Needed for the collector's route stats and decisions and the gateway's admin API. */
  adminToken?: string
  logger?: Logger
  /** Stand-ins for tests; default: the collector and gateway at the configured URLs. */
  stats?: RouteStatsSource
  table?: RoutingTablePusher
  recorder?: DecisionRecorder
  /** Default: the gateway's list prices when the table is the gateway's; none with a stand-in table. */
  prices?: PriceList
  /** Called after every cycle (tests, demo). */
  onCycle?: (result: CycleResult) => void
}

export interface RunningOptimizer {
  /** Runs one cycle now (also what the timer does). */
  runOnce(): Promise<CycleResult>
  close(): Promise<void>
}

export async function start(options: OptimizerOptions): Promise<RunningOptimizer> {
  const settings: OptimizerSettings = optimizerConfigSchema.parse(options.settings ?? {})
  const logger = options.logger ?? pino({ level: 'info' })
  const needsToken = !options.stats || !options.table || !options.recorder
  if (needsToken && !options.adminToken)
    throw new Error(
      'optimizer: adminToken is required (env LOOPGATE_ADMIN_TOKEN) to read route stats, record decisions and push routing tables',
    )
  const client = new CollectorClient({ baseUrl: settings.collectorUrl, token: options.adminToken ?? '' })
  const gateway = { baseUrl: settings.gatewayUrl, adminToken: options.adminToken ?? '' }
  const cycle = new OptimizerCycle(settings, {
    stats: options.stats ?? new CollectorStatsSource(client),
    table: options.table ?? new GatewayRoutingPusher(gateway),
    recorder: options.recorder ?? new CollectorDecisionRecorder(client),
    clock: () => Date.now(),
    rng: mathRandom,
    prices: options.prices ?? (options.table ? undefined : new GatewayPriceList(gateway)),
  })

  let running: Promise<unknown> = Promise.resolve()
  let closed = false
  const runOnce = async (): Promise<CycleResult> => {
    const result = await cycle.run()
    const changed = result.steps.filter((s) => s.changed).length
    logger.info(
      {
        cycle: result.cycle,
        routes: result.steps.length,
        changed,
        pushedVersion: result.pushedVersion,
        dryRun: settings.dryRun,
      },
      'optimizer cycle',
    )
    if (result.repriced.length) logger.info({ repriced: result.repriced }, 'optimizer: list prices moved')
    if (result.pricesError)
      logger.warn({ err: result.pricesError }, 'optimizer: list prices unreadable; costs learned from spans alone')
    options.onCycle?.(result)
    return result
  }
  const tick = () => {
    if (closed) return
    // Cycles never overlap: a slow collector delays the next one instead of stacking them.
    running = running
      .then(runOnce)
      .catch((err: unknown) => logger.error({ err }, 'optimizer cycle failed; retrying next interval'))
  }
  const timer = setInterval(tick, settings.intervalSeconds * 1000)
  timer.unref()
  logger.info(
    {
      intervalSeconds: settings.intervalSeconds,
      dryRun: settings.dryRun,
      routes: settings.routes.length ? settings.routes : 'all',
    },
    'optimizer started',
  )
  return {
    runOnce: () => {
      const next = running.then(runOnce)
      running = next.catch(() => undefined)
      return next
    },
    close: async () => {
      closed = true
      clearInterval(timer)
      await running
    },
  }
}
