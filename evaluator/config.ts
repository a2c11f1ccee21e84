import { z } from 'zod'

export const SCORER_NAMES = ['cost', 'heuristics', 'reference', 'judge'] as const
export type ScorerName = (typeof SCORER_NAMES)[number]

export const MATCH_MODES = ['auto', 'exact', 'normalized', 'contains', 'regex', 'numeric'] as const
export type MatchMode = (typeof MATCH_MODES)[number]

const usd = z.string().regex(/^\d+(\.\d{1,12})?$/, 'use a decimal string such as "0.15"')
const configuredPriceSchema = z
  .object({ target: z.string().min(1), input: usd, output: usd, cacheRead: usd.optional(), cacheWrite: usd.optional() })
  .strict()

/** How one route is evaluated. Every field may be left out of a route entry: `defaults` fills it. */
const routeEvaluationSchema = z
  .object({
    /** Scorers run on this route's LLM spans. */
    scorers: z.array(z.enum(SCORER_NAMES)),
    /** Fraction of LLM spans evaluated, decided by a hash of the span id (a redelivery decides the same). */
    sampleRate: z.number().min(0).max(1),
    /** Wait this long after the span is stored before scoring, so late spans of the trace arrive first. */
    delayMs: z.number().int().min(0),
    /** Latency SLO for `heuristics.latency_slo`; unset → no latency check. */
    sloMs: z.number().positive().optional(),
    /** Reference matching when the span carries `loopgate.expected_answer` (the span may override both). */
    referenceMatch: z.enum(MATCH_MODES),
    /** For `numeric`: absolute tolerance, or relative with a `%` suffix (e.g. "1%"). */
    referenceTolerance: z.string().regex(/^\d+(\.\d+)?%?$/, 'use a non-negative number, optionally with a % suffix'),
    /** Relative difference allowed between a provided cost and the price table before it is flagged. */
    costTolerance: z.number().min(0),
  })
  .strict()

export type RouteEvaluation = z.infer<typeof routeEvaluationSchema>

const defaultRoute: RouteEvaluation = {
  scorers: ['cost', 'heuristics', 'reference'],
  sampleRate: 1,
  delayMs: 2_000,
  referenceMatch: 'auto',
  referenceTolerance: '0',
  costTolerance: 0.01,
}

const judgeSchema = z
  .object({
    /** The Loopgate gateway's OpenAI-compatible base URL (…/v1). Env: LOOPGATE_JUDGE_URL. */
    baseUrl: z.string().url({ message: 'must be an http(s) URL such as http://127.0.0.1:8080/v1' }).optional(),
    /** A virtual key of the system tenant, so the judge's own cost is never charged to the judged tenant. Env: LOOPGATE_JUDGE_KEY. */
    apiKey: z.string().optional(),
    /** The gateway route (virtual model) that answers judge prompts. */
    route: z.string().min(1).default('judge'),
    timeoutMs: z.number().int().positive().default(30_000),
    /** Extra request headers (e.g. for a gateway in front of the judge). */
    headers: z.record(z.string(), z.string()).default({}),
    /** Characters of the judged input/output put into the prompt at most. */
    maxChars: z.number().int().positive().default(12_000),
    rubric: z
      .object({
        /** Bump when the instructions or the scale change: it is the judge scorer's version. */
        version: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,32}$/, 'use 1–32 letters, digits, "_" or "-"')
          .default('helpfulness-v1'),
        instructions: z.string().min(1).optional(),
        min: z.number().int().default(1),
        max: z.number().int().default(5),
      })
      .prefault({}),
  })
  .prefault({})

/** The `evaluator` section of loopgate.yaml. */
export const evaluatorConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Collector base URL for reading spans and writing scores. Env: LOOPGATE_COLLECTOR_URL. */
    collectorUrl: z.string().url().default('http://127.0.0.1:4318'),
    /** Token for the collector API; defaults to the top-level adminToken. */
    collectorToken: z.string().optional(),
    /** Spans of this tenant (the judge's own calls) are never evaluated. */
    systemTenant: z.string().default('system'),
    queue: z
      .object({
        name: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "_" or "-"')
          .default('loopgate-evaluations'),
        /** Jobs processed at once per worker process. */
        concurrency: z.number().int().positive().default(16),
        /** Attempts before a job goes to the dead-letter list. */
        attempts: z.number().int().positive().default(5),
        /** First retry delay; doubles each attempt. */
        backoffMs: z.number().int().positive().default(1_000),
        /** Completed job ids remembered for de-duplication. */
        keepCompleted: z.number().int().min(0).default(100_000),
        /** On shutdown, in-flight jobs get this long to finish; then they are returned to the queue. */
        shutdownTimeoutMs: z.number().int().min(0).default(3_000),
      })
      .prefault({}),
    defaults: routeEvaluationSchema.partial().prefault({}),
    /** Per-route overrides keyed by route name; spans without a route use `defaults`. */
    routes: z.record(z.string(), routeEvaluationSchema.partial()).default({}),
    judge: judgeSchema,
    /**
     * Prices configured for gateway targets (USD per million tokens), which the cost scorer checks
     * before the public price table. `loopgate` fills this from `gateway.routes[].targets[].price`;
     * set it only for an evaluator that runs with another config file than its gateway.
     */
    prices: z.array(configuredPriceSchema).default([]),
  })
  .prefault({})

export type EvaluatorSettings = z.infer<typeof evaluatorConfigSchema>
export type JudgeSettings = EvaluatorSettings['judge']

/** The effective evaluation of a route: built-in defaults ← `defaults` ← `routes[route]`. */
export function routeEvaluation(
  settings: Pick<EvaluatorSettings, 'defaults' | 'routes'>,
  route: string,
): RouteEvaluation {
  const own = Object.hasOwn(settings.routes, route) ? settings.routes[route] : undefined
  return { ...defaultRoute, ...stripUndefined(settings.defaults), ...stripUndefined(own ?? {}) }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** Environment variables carry URLs and secrets; they win over the file. */
export function evaluatorEnvironment(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const judge: Record<string, string> = {}
  if (env.LOOPGATE_JUDGE_URL) judge.baseUrl = env.LOOPGATE_JUDGE_URL
  if (env.LOOPGATE_JUDGE_KEY) judge.apiKey = env.LOOPGATE_JUDGE_KEY
  return {
    ...(env.LOOPGATE_COLLECTOR_URL ? { collectorUrl: env.LOOPGATE_COLLECTOR_URL } : {}),
    ...(Object.keys(judge).length ? { judge } : {}),
  }
}
