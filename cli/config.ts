import { readFileSync, existsSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { collectorConfigSchema, storageConfigSchema } from '../collector/config.ts'
import { gatewayConfigSchema, gatewayTenantSchema } from '../gateway/config.ts'
import { evaluatorConfigSchema, evaluatorEnvironment } from '../evaluator/config.ts'
import { optimizerConfigSchema } from '../optimizer/config.ts'

const keyList = z.array(z.string().min(8, 'keys must be at least 8 characters')).default([])

/** One entry per tenant: its gateway virtual keys, budgets and limits, and its collector keys. */
export const tenantSchema = gatewayTenantSchema.extend({
  ingestKeys: keyList,
  readKeys: keyList,
  readOnlyKeys: keyList,
})

export const configSchema = z
  .object({
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Sees every tenant and may change routing. Env: LOOPGATE_ADMIN_TOKEN. */
    adminToken: z.string().min(16, 'use at least 16 characters (generate one with `openssl rand -hex 24`)').optional(),
    redisUrl: z.string().url().optional(),
    tenants: z.array(tenantSchema).default([]),
    clickhouse: storageConfigSchema,
    collector: collectorConfigSchema,
    gateway: gatewayConfigSchema,
    evaluator: evaluatorConfigSchema,
    optimizer: optimizerConfigSchema,
  })
  .strict()

export type LoopgateConfig = z.infer<typeof configSchema>

export class ConfigError extends Error {}

/** Environment variables carry URLs and secrets; they win over the file. */
function fromEnvironment(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const clickhouse: Record<string, string> = {}
  if (env.CLICKHOUSE_URL) clickhouse.url = env.CLICKHOUSE_URL
  if (env.CLICKHOUSE_USER) clickhouse.username = env.CLICKHOUSE_USER
  if (env.CLICKHOUSE_PASSWORD) clickhouse.password = env.CLICKHOUSE_PASSWORD
  if (env.LOOPGATE_DATA_DIR) clickhouse.path = `${env.LOOPGATE_DATA_DIR}/clickhouse`
  const evaluator = evaluatorEnvironment(env)
  return {
    ...(env.LOOPGATE_ADMIN_TOKEN ? { adminToken: env.LOOPGATE_ADMIN_TOKEN } : {}),
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
    ...(env.LOOPGATE_METRICS_TOKEN ? { collector: { metricsToken: env.LOOPGATE_METRICS_TOKEN } } : {}),
    ...(Object.keys(clickhouse).length ? { clickhouse } : {}),
    ...(env.LOOPGATE_DATA_DIR ? { gateway: { dataDir: `${env.LOOPGATE_DATA_DIR}/gateway` } } : {}),
    ...(Object.keys(evaluator).length ? { evaluator } : {}),
  }
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base }
  for (const [k, v] of Object.entries(over)) {
    const b = out[k]
    out[k] = isPlainObject(b) && isPlainObject(v) ? merge(b, v) : v
  }
  return out
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function readFile(path: string): Record<string, unknown> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`)
  }
  let data: unknown
  try {
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    throw new ConfigError(
      `config file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    )
  }
  if (data == null) return {}
  if (!isPlainObject(data)) throw new ConfigError(`config file ${path} must contain a mapping at the top level`)
  return data
}

/**
 * Loads the one config: the file (`--config`, else ./loopgate.yaml when present), then the
 * environment, then `overrides` from the command line. Every problem names the field and the fix.
 */
export function loadConfig(
  options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {},
): LoopgateConfig {
  const env = options.env ?? process.env
  const file = options.file ?? (existsSync('loopgate.yaml') ? 'loopgate.yaml' : undefined)
  const raw = merge(merge(file ? readFile(file) : {}, fromEnvironment(env)), options.overrides ?? {})
  const parsed = configSchema.safeParse(raw)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const field = issue.path.length ? issue.path.join('.') : '(top level)'
      return `  - ${field}: ${issue.message}`
    })
    throw new ConfigError(
      `invalid configuration${file ? ` in ${file}` : ''}:\n${lines.join('\n')}\nFix these fields (see README › Configuration) and start again.`,
    )
  }
  const config = parsed.data
  if (config.gateway.tenants.length > 0) {
    throw new ConfigError(
      'invalid configuration: gateway.tenants: list each tenant once, under the top-level `tenants` (with its keys, budgets and rateLimits).',
    )
  }
  const ids = new Set<string>()
  for (const t of config.tenants) {
    if (ids.has(t.id))
      throw new ConfigError(`invalid configuration: tenants: "${t.id}" is listed twice; give each tenant one entry.`)
    ids.add(t.id)
  }
  return config
}
