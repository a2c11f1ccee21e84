import { z } from 'zod'

const fraction = z.number().min(0).max(1)

/** What a route optimizes. `utility`: quality − costWeight·cost − latencyWeight·latency penalty. `floor`: cheapest target whose quality clears the floor. */
export const objectiveSchema = z
  .object({
    kind: z.enum(['utility', 'floor']).default('utility'),
    /** λ: quality points given up per USD of mean cost per request. */
    costWeight: z.number().min(0).default(50),
    /** μ: quality points per unit of latency penalty (p95 over the SLO, relative: p95/slo − 1). */
    latencyWeight: z.number().min(0).default(0),
    /** p95 latency objective; in `floor` mode a target over it is chosen only when none meets it. */
    latencySloMs: z.number().positive().optional(),
    /** `floor` mode: absolute quality floor (0–1), or relative to the best target's quality. */
    qualityFloor: z
      .object({ absolute: fraction.optional(), relative: fraction.optional() })
      .strict()
      .refine(
        (f) => f.absolute !== undefined || f.relative !== undefined,
        'set qualityFloor.absolute or qualityFloor.relative',
      )
      .optional(),
  })
  .strict()
  .refine((o) => o.kind !== 'floor' || o.qualityFloor !== undefined, {
    message: 'objective.kind "floor" needs qualityFloor.absolute or qualityFloor.relative',
    path: ['qualityFloor'],
  })

export const learnerSchema = z
  .object({
    /** Evidence kept per cycle (exponential forgetting by time; 1 = none: change detection drops old evidence when quality changes). */
    discount: z.number().gt(0).max(1).default(1),
    /** Cap on effective observations per route × target: bounds memory in requests on busy routes. */
    maxEvidence: z.number().positive().default(1000),
    /**
     * Pseudo-observations of the target's pooled quality over all routes, used as each route's
     * prior; 'auto' estimates it per target from how much routes differ (empirical Bayes).
     */
    priorStrength: z.union([z.number().min(0), z.literal('auto')]).default('auto'),
    /** Monte-Carlo draws per route per cycle for the probability that each target is best. */
    draws: z.number().int().min(50).max(20_000).default(300),
    /**
     * Weights ∝ P(best)^s: s is this with two contenders on a route, falling towards 1 (probability
     * matching) with more (route-step.ts › commitment): committing pays between two targets, and
     * locks onto an unlucky early leader among many near-tied ones (docs/replay.md).
     */
    sharpness: z.number().min(1).max(8).default(3),
    /** Shares of the allocation below this are cut (route-step.ts › trimTail): exploration is the route floor's job. */
    minShare: fraction.default(0.05),
    /**
     * Deliberate exploration (exploration.ts): the largest weight a target that does not lead gets
     * in a cycle to buy observations, when they are worth more than they cost; 0 turns it off.
     */
    exploreMaxWeight: fraction.default(0),
    /**
     * Cycles a better routing decision keeps paying off, in the value of those observations: the
     * route's traffic over this many cycles (600 = 100 minutes at the 10 s cadence, 3× the memory
     * of the default discount — a decision outlives the evidence behind it, since the chosen target
     * keeps being observed).
     */
    exploreHorizon: z.number().positive().default(600),
    /** Recent observations compared with the long-run mean to detect a change of quality (×5 pooled over routes). */
    changeWindow: z.number().min(4).default(40),
    /** |z| at which a change is declared and old evidence dropped; 0 disables detection. */
    changeThreshold: z.number().min(0).default(4),
    /**
     * Memory per cycle of each target's price index (its recent cost over what the same requests
     * cost at their routes' long-run means) and latency: short, so a price change shows next cycle.
     * Cost is observed on every served request and the index is free of route-mix shifts, so little
     * memory is needed.
     */
    costDiscount: z.number().gt(0).max(1).default(0.2),
  })
  .strict()

export const guardrailsSchema = z
  .object({
    /** Scored observations every contender needs; until it has them it gets at least an even share. */
    minSamples: z.number().int().min(0).default(2),
    /** The route's exploration floor, shared by the targets that do not lead, shrinking with evidence (route-step.ts › explorationFloor), so a recovered or cheaper target can win traffic back. */
    minWeight: fraction.default(0.002),
    /** Weight shared per route by the targets ruled out by cost (no score could make them best): their price is still seen. */
    priceProbeWeight: fraction.default(0.001),
    /** Largest change of one target's weight per cycle (a drain is not limited). */
    maxStep: z.number().gt(0).max(1).default(0.5),
    /** Summed |Δweight| below which a route is left alone (no push for Monte-Carlo jitter). */
    deadband: z.number().min(0).max(1).default(0.05),
    drain: z
      .object({
        /** A target whose error rate in a cycle reaches this (with ≥ minRequests) is drained at once. */
        maxErrorRate: fraction.default(0.2),
        /** A target whose p95 latency in a cycle exceeds this is drained at once. */
        maxLatencyP95Ms: z.number().positive().optional(),
        minRequests: z.number().int().min(1).default(5),
        /** Weight a drained target keeps per route to detect recovery. */
        probeWeight: fraction.default(0.01),
        /** Healthy probe requests needed (since the last breach) to re-admit a drained target. */
        recoveryRequests: z.number().int().min(1).default(5),
      })
      .strict()
      .prefault({}),
    rollback: z
      .object({
        enabled: z.boolean().default(true),
        /** A change whose summed |Δweight| is at least this is checked after the fact. */
        minChange: z.number().gt(0).max(2).default(0.3),
        /** Scored observations after the change before it is judged. */
        minSamples: z.number().int().min(1).default(40),
        /** Quality shortfall versus what the learner predicted that triggers a rollback. */
        tolerance: z.number().min(0).default(0.05),
        /** Cycles the rolled-back weights are held. */
        cooldownCycles: z.number().int().min(0).default(5),
        /** A pending check is dropped after this many cycles without enough samples. */
        maxCycles: z.number().int().min(1).default(200),
      })
      .strict()
      .prefault({}),
  })
  .strict()

export const optimizerConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Cadence of the cycle (read stats → weights → push → record). */
    intervalSeconds: z.number().positive().default(10),
    /** Records decisions but never pushes a table. */
    dryRun: z.boolean().default(false),
    /** Collector base URL (query API). */
    collectorUrl: z.string().url().default('http://127.0.0.1:4318'),
    /** Gateway base URL (admin routing API); replicas get the table by the gateway's Redis fan-out. */
    gatewayUrl: z.string().url().default('http://127.0.0.1:8080'),
    /** The first cycle reads this much history, so a restarted optimizer does not start from nothing. */
    bootstrapSeconds: z.number().min(0).default(900),
    /** Spans reach the collector a little after they end: each window ends this long before now. */
    ingestLagSeconds: z.number().min(0).default(3),
    /** Routes to optimize; empty = every route in the gateway's table. */
    routes: z.array(z.string().min(1)).default([]),
    /** Score name that measures quality; absent = all numeric/boolean scores pooled. */
    score: z.string().min(1).optional(),
    objective: objectiveSchema.prefault({}),
    /** Per-route objective overrides. */
    routeObjectives: z.record(z.string(), objectiveSchema).default({}),
    learner: learnerSchema.prefault({}),
    guardrails: guardrailsSchema.prefault({}),
  })
  .strict()
  .prefault({})

export type OptimizerSettings = z.infer<typeof optimizerConfigSchema>
export type ObjectiveSettings = z.infer<typeof objectiveSchema>
export type LearnerSettings = z.infer<typeof learnerSchema>
export type GuardrailSettings = z.infer<typeof guardrailsSchema>
