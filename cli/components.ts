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
  /** The admin token components use with each other (configured, or the local one `loopgate start` keeps). */
  adminToken: string | undefined
  /** True when this component runs alone (`loopgate gateway`), false inside `loopgate start`. */
  standalone: boolean
  /** URLs of the components already started in this process, so the others reach them wherever they listen. */
  urls: Record<string, string>
}

type Starter = (ctx: StartContext) => Promise<Running>

/**
 * The collector enqueues evaluations of what it stores: into the process's own queue under
 * `loopgate start`, or into Redis for evaluator processes elsewhere. A lone collector without
 * Redis has no evaluator to feed. The queue holds a Redis connection, so whoever opens it closes it.
 */
async function evaluationHook(config: LoopgateConfig, standalone: boolean) {
  if (!config.evaluator.enabled || (standalone && !config.redisUrl)) return undefined
  const { createEvaluationEnqueuer, evaluationQueue } = await import('../evaluator/index.ts')
  const queue = evaluationQueue(config.evaluator, config.redisUrl)
  return { onStored: createEvaluationEnqueuer(config.evaluator, queue), close: () => queue.close() }
}

/** `loopgate <component>` names what to run: a component switched off in the config has nothing to do alone. */
function disabledAlone(name: string): Error {
  return new Error(`${name}.enabled is false in the configuration: set it to true to run \`loopgate ${name}\``)
}

/** Each component is imported only when it runs, so `loopgate gateway` never loads chDB. */
export const components: Record<string, Starter> = {
  collector: async ({ config, logger, adminToken, standalone, urls }) => {
    const { start } = await import('../collector/index.ts')
    const hook = await evaluationHook(config, standalone)
    let running
    try {
      running = await start({
        onStored: hook?.onStored,
        collector: config.collector,
        storage: config.clickhouse,
        tenants: config.tenants,
        adminToken,
        // The gateway starts after the collector: its URL is read when the admin page calls.
        gatewayUrl: () => urls.gateway,
        logger: logger.child({ component: 'collector' }),
      })
    } catch (err) {
      await hook?.close()
      throw err
    }
    return {
      name: 'collector',
      url: running.url,
      async close() {
        await running.close()
        await hook?.close()
      },
    }
  },
  evaluator: async ({ config, logger, adminToken, urls, standalone }) => {
    if (!config.evaluator.enabled) {
      if (standalone) throw disabledAlone('evaluator')
      return { name: 'evaluator', close: async () => {} }
    }
    if (standalone && !config.redisUrl) {
      logger.warn(
        "evaluator alone without REDIS_URL: its in-process queue is fed by no collector; set REDIS_URL (the collectors' too) to score their spans",
      )
    }
    const { start } = await import('../evaluator/index.ts')
    const running = await start({
      settings: {
        ...config.evaluator,
        prices: [...configuredPrices(config), ...config.evaluator.prices],
        collectorUrl: urls.collector ?? config.evaluator.collectorUrl,
        judge: {
          ...config.evaluator.judge,
          baseUrl: config.evaluator.judge.baseUrl ?? (urls.gateway ? `${urls.gateway}/v1` : undefined),
        },
      },
      redisUrl: config.redisUrl,
      adminToken,
      logger: logger.child({ component: 'evaluator' }),
    })
    return { name: 'evaluator', close: running.close }
  },
  simulate: async ({ config, logger }) => {
    const { startSimulator } = await import('../gateway/simulator/index.ts')
    const sim = await startSimulator(config.gateway.simulator)
    logger.info({ openai: sim.openaiBaseUrl, anthropic: sim.anthropicBaseUrl }, 'simulated providers ready')
    return { name: 'simulate', url: sim.url, close: sim.close }
  },
  gateway: async ({ config, logger, adminToken, urls }) => {
    const { start } = await import('../gateway/index.ts')
    const running = await start({
      gateway: {
        ...config.gateway,
        tenants: config.tenants.map(
          ({ ingestKeys: _i, readKeys: _r, readOnlyKeys: _ro, ...gatewayPart }) => gatewayPart,
        ),
        telemetry: {
          ...config.gateway.telemetry,
          collectorUrl: urls.collector ?? config.gateway.telemetry.collectorUrl,
        },
      },
      adminToken,
      redisUrl: config.redisUrl,
      exportToken: adminToken, // the collector trusts the admin token to name each span's tenant
      logger: logger.child({ component: 'gateway' }),
    })
    return { name: 'gateway', url: running.url, close: running.close }
  },
  optimizer: async ({ config, logger, adminToken, urls, standalone }) => {
    if (!config.optimizer.enabled) {
      if (standalone) throw disabledAlone('optimizer')
      return { name: 'optimizer', close: async () => {} }
    }
    const { start } = await import('../optimizer/index.ts')
    const running = await start({
      settings: {
        ...config.optimizer,
        collectorUrl: urls.collector ?? config.optimizer.collectorUrl,
        gatewayUrl: urls.gateway ?? config.optimizer.gatewayUrl,
      },
      adminToken,
      logger: logger.child({ component: 'optimizer' }),
    })
    return { name: 'optimizer', close: running.close }
  },
}

/** One-shot commands: they run, print and exit (their own options follow the command name). */
export const commands: Record<string, (args: string[]) => Promise<void>> = {
  replay: async (args) => {
    const { runReplayCli } = await import('../optimizer/replay/cli.ts')
    await runReplayCli(args)
  },
}

/** `--demo` only: synthetic agent sessions through the gateway, after everything else is up. */
export async function startDemo({ logger, urls }: StartContext): Promise<Running> {
  const { startDemoTraffic } = await import('./demo/traffic.ts')
  if (!urls.gateway || !urls.collector) throw new Error('the demo needs the gateway and the collector in this process')
  const traffic = startDemoTraffic({
    gatewayUrl: urls.gateway,
    collectorUrl: urls.collector,
    logger: logger.child({ component: 'demo' }),
  })
  return { name: 'demo', close: traffic.close }
}

/** What `loopgate start` runs, in start order (the storage owner first). `--demo` adds `simulate` before them. */
export const startOrder = ['collector', 'gateway', 'evaluator', 'optimizer'].filter((name) => name in components)

/** The prices the gateway charges for its targets, so the cost scorer checks costs against them (one config file). */
function configuredPrices(config: LoopgateConfig) {
  const seen = new Map<
    string,
    { target: string; input: string; output: string; cacheRead?: string; cacheWrite?: string }
  >()
  for (const route of config.gateway.routes) {
    for (const t of route.targets) {
      const target = t.id ?? `${t.provider}/${t.model}`
      if (t.price && !seen.has(target)) seen.set(target, { target, ...t.price })
    }
  }
  return [...seen.values()]
}
