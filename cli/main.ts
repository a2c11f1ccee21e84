import { parseArgs } from 'node:util'
import { localAdminToken } from './admin-token.ts'
import { commands, components, startDemo, startOrder, type Running } from './components.ts'
import { isDemoConfig, withDemo } from './demo/config.ts'
import { ConfigError, loadConfig } from './config.ts'
import { createLogger } from './logger.ts'

const HELP = `loopgate — self-hosted LLM gateway and observability platform

Usage:
  loopgate start [--config FILE] [--demo]   every component in one process (embedded defaults)
  loopgate <component> [--config FILE]      one component alone: ${Object.keys(components).join(', ')}
                                            (simulate: the simulated OpenAI/Anthropic providers)
  loopgate replay [options]                 the optimizer's offline replay report (docs/replay.md)
  loopgate --help

Options:
  -c, --config FILE   YAML or JSON config (default: ./loopgate.yaml when present)
      --demo          add simulated providers and synthetic agent traffic
  -h, --help          show this help

Environment: CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, REDIS_URL,
LOOPGATE_ADMIN_TOKEN, LOOPGATE_DATA_DIR. See README.md › Configuration.`

async function main(argv: string[]): Promise<number> {
  const oneShot = argv[0] ? commands[argv[0]] : undefined
  if (oneShot) {
    try {
      await oneShot(argv.slice(1))
      return 0
    } catch (err) {
      console.error((err as Error).message)
      return 2
    }
  }
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        demo: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${HELP}`)
    return 2
  }
  const [command = 'start'] = parsed.positionals
  if (parsed.values.help || command === 'help') {
    console.log(HELP)
    return 0
  }
  const demo = parsed.values.demo ?? false
  const names = command === 'start' ? [...(demo ? ['simulate'] : []), ...startOrder] : [command]
  const unknown = names.find((n) => !components[n])
  if (unknown) {
    console.error(`unknown command "${unknown}"\n\n${HELP}`)
    return 2
  }

  let config
  try {
    config = loadConfig({ file: parsed.values.config })
    if (demo) config = withDemo(config)
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      return 78 // EX_CONFIG
    }
    throw err
  }
  const logger = createLogger(config.logLevel)
  log = logger
  const standalone = command !== 'start'
  // Inside one process, components that talk to each other need an admin credential even when
  // none is configured: a local one under the data directory stands in for it.
  let adminToken = config.adminToken
  if (!standalone && !adminToken) {
    const local = localAdminToken(process.env.LOOPGATE_DATA_DIR ?? './data')
    adminToken = local.token
    logger.info(
      { tokenFile: local.path },
      'no admin token configured: using the local one (dashboard login) from this file',
    )
  }
  const ctx = { config, logger, adminToken, standalone, urls: {} as Record<string, string> }
  // Listening from here on: a SIGTERM while components are still starting stops them cleanly too.
  let signalled: NodeJS.Signals | undefined
  const waiter = untilSignal()
  const signal = waiter.signal.then((s) => (signalled = s))
  const running: Running[] = []
  let closing: string | undefined
  const stop = async () => {
    for (const r of running.reverse()) {
      closing = r.name
      await r.close().catch((err) => logger.error({ err }, `closing ${r.name} failed`))
    }
    closing = undefined
  }
  try {
    for (const name of names) {
      if (signalled) break
      const r = await components[name]!(ctx)
      running.push(r)
      if (r.url) ctx.urls[name] = r.url
      logger.info({ url: r.url }, `${name} started`)
    }
    if (demo && command === 'start' && isDemoConfig(config) && !signalled) running.push(await startDemo(ctx))
    if (ctx.urls.collector && config.collector.serveUi) logger.info(`dashboard: ${ctx.urls.collector}/`)
  } catch (err) {
    logger.fatal({ err }, 'start failed')
    waiter.cancel()
    await stop()
    return 1
  }
  logger.info({ signal: await signal }, 'shutting down')
  // A second signal means "now": the operator is not waiting for a graceful stop.
  const now = (second: NodeJS.Signals) => {
    logger.warn({ signal: second, closing }, 'second signal: exiting without waiting for the rest of the shutdown')
    process.exit(1)
  }
  process.once('SIGINT', now)
  process.once('SIGTERM', now)
  const deadline = new Promise<'late'>((resolve) => setTimeout(resolve, SHUTDOWN_DEADLINE_MS, 'late').unref())
  if ((await Promise.race([stop().then(() => 'done' as const), deadline])) === 'late') {
    logger.error(
      { closing, deadlineMs: SHUTDOWN_DEADLINE_MS },
      `${closing ?? 'a component'} did not close in time; exiting anyway`,
    )
    process.exit(1)
  }
  return 0
}

/**
 * Waits for SIGINT or SIGTERM. A timer holds the event loop open meanwhile: a component whose own
 * timers are unref()ed (the optimizer's cycle) or that has no socket of its own (an evaluator on
 * the in-process queue) must still run until it is told to stop.
 */
function untilSignal(): { signal: Promise<NodeJS.Signals>; cancel(): void } {
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1)
  let on: (signal: NodeJS.Signals) => void = () => {}
  const cancel = () => {
    process.off('SIGINT', on)
    process.off('SIGTERM', on)
    clearInterval(keepAlive)
  }
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    on = (s) => {
      cancel()
      resolve(s)
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })
  return { signal, cancel }
}

/** Components get this long in total to close after SIGTERM before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 4_500
/** Once every component has closed, the process should end by itself; if a handle was left open, it is named and the process ends anyway. */
const LINGER_MS = 1_000

let log: ReturnType<typeof createLogger> | undefined
const code = await main(process.argv.slice(2))
process.exitCode = code
setTimeout(() => {
  const handles = process.getActiveResourcesInfo().filter((h) => h !== 'Timeout')
  log?.warn({ handles }, `still running ${LINGER_MS} ms after every component closed: a handle was left open; exiting`)
  process.exit(code)
}, LINGER_MS).unref()
