import type { LoopgateConfig } from '../config.ts'
import { configSchema } from '../config.ts'

/** Demo tenants: a gateway key and an OTLP ingest key each (fixed, so the README can name them). */
export const demoTenants = ['acme', 'globex', 'initech'].map((id) => ({
  id,
  key: `demo-${id}-key-0001`,
  ingestKey: `demo-${id}-ingest-0001`,
}))

export const DEMO_ROUTE = 'assistant'

/** True when the demo overlay is in force (and so its tenants and route exist for the demo traffic). */
export const isDemoConfig = (config: LoopgateConfig) =>
  config.gateway.routes.some((r) => r.name === DEMO_ROUTE) &&
  demoTenants.every((t) => config.tenants.some((c) => c.id === t.id))

/**
 * What `--demo` adds when the config names no routes of its own: simulated providers with
 * different quality, price and speed behind one route, three tenants, evaluation of every call,
 * and the optimizer moving the route's weights from those scores.
 */
export function withDemo(config: LoopgateConfig): LoopgateConfig {
  if (config.gateway.routes.length > 0) return config
  const sim = `http://127.0.0.1:${config.gateway.simulator.port}`
  return configSchema.parse({
    ...config,
    tenants: [
      ...config.tenants,
      ...demoTenants.map((t) => ({
        id: t.id,
        keys: [{ key: t.key, name: `${t.id}-demo` }],
        ingestKeys: [t.ingestKey],
        budgets: { usdPerDay: '25' },
        rateLimits: { rpm: 600 },
      })),
    ],
    gateway: {
      ...config.gateway,
      providers: {
        'sim-openai': { protocol: 'openai', baseUrl: `${sim}/v1` },
        'sim-anthropic': { protocol: 'anthropic', baseUrl: sim },
      },
      routes: [
        {
          name: DEMO_ROUTE,
          capture: 'on',
          targets: [
            { provider: 'sim-openai', model: 'sim-large', weight: 1, price: { input: '2.5', output: '10' } },
            { provider: 'sim-openai', model: 'sim-small', weight: 1, price: { input: '0.15', output: '0.6' } },
            { provider: 'sim-anthropic', model: 'sim-claude', weight: 1, price: { input: '0.8', output: '4' } },
          ],
        },
      ],
      simulator: {
        ...config.gateway.simulator,
        models: {
          'sim-large': { ttftMs: 350, ttftJitter: 0.3, tokensPerSecond: 80, outputTokens: 60, quality: 0.93 },
          'sim-small': {
            ttftMs: 90,
            ttftJitter: 0.3,
            tokensPerSecond: 200,
            outputTokens: 40,
            quality: 0.62,
            errorRate: 0.02,
          },
          'sim-claude': {
            ttftMs: 200,
            ttftJitter: 0.3,
            tokensPerSecond: 120,
            outputTokens: 50,
            quality: 0.86,
            rateLimitRate: 0.01,
          },
          ...config.gateway.simulator.models,
        },
      },
    },
    evaluator: { ...config.evaluator, defaults: { ...config.evaluator.defaults, delayMs: 1000 } },
    // Quality is the share of correct answers to the agent's tasks (the reference scorer).
    optimizer: { ...config.optimizer, enabled: true, intervalSeconds: 10, score: 'reference' },
  })
}
