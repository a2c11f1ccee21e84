/** The policies a replay can run, how each is built for a stream, an objective and a seed, and one pass of it. */
import { objectiveSchema, type ObjectiveSettings } from '../config.ts'
import { seededRng } from '../random.ts'
import type { Dataset } from './dataset.ts'
import { fitKnownStructure, KnownStructurePolicy } from './known-structure.ts'
import {
  EpsilonGreedyPolicy,
  FullInformationPolicy,
  OptimizerPolicy,
  PlainThompsonPolicy,
  UniformPolicy,
  type PolicyContext,
  type ReplayPolicy,
} from './policies.ts'
import { replay, type ReplayOptions, type ReplayTrace } from './simulate.ts'
import { TrackAndStopPolicy } from './track-and-stop.ts'

/**
 * `track-and-stop` is TensorZero's adaptive A/B test (track-and-stop.ts): it optimizes one metric, so
 * it runs on utility objectives (a cost weight λ) only.
 * `full-information` is a bound, not a router: it sees every target's outcome on every request.
 * `known-structure` is a reference: it is told the stream's structure from hindsight (known-structure.ts).
 */
export const POLICIES = [
  'optimizer',
  'plain-thompson',
  'epsilon-greedy',
  'track-and-stop',
  'uniform',
  'full-information',
  'known-structure',
] as const
export type PolicyName = (typeof POLICIES)[number]
/** Told the unchanged stream's structure: measured on that stream only (regret), not on sweeps or injected changes. */
export const HINDSIGHT_REFERENCES: readonly PolicyName[] = ['known-structure']

export interface ExperimentSetup {
  data: Dataset
  seeds: number[]
  /** Optimizer settings overrides (same shape as the `optimizer` config section). */
  overrides: Record<string, unknown>
  base: Omit<ReplayOptions, 'seed' | 'scoredFraction'>
}

/** A route objective for the replay: a cost weight λ (utility = quality − λ·cost), or an objective as configured. */
export type ReplayObjective = number | ObjectiveSettings

export function makePolicy(
  name: PolicyName,
  setup: ExperimentSetup,
  objective: ReplayObjective,
  seed: number,
): ReplayPolicy {
  const ctx: PolicyContext = {
    targets: setup.data.targets,
    routes: setup.data.routes,
    objective: typeof objective === 'number' ? objectiveSchema.parse({ costWeight: objective }) : objective,
    scoreKind: isBoolean(setup.data) ? 'boolean' : 'numeric',
    rng: seededRng(seed * 104_729 + 3),
  }
  if (name === 'optimizer') return new OptimizerPolicy(ctx, setup.overrides)
  if (name === 'plain-thompson') return new PlainThompsonPolicy(ctx)
  if (name === 'epsilon-greedy') return new EpsilonGreedyPolicy(ctx, 0.1)
  if (name === 'track-and-stop') return new TrackAndStopPolicy(ctx)
  if (name === 'full-information') return new FullInformationPolicy(ctx)
  if (name === 'known-structure') return new KnownStructurePolicy(ctx, fitKnownStructure(setup.data))
  return new UniformPolicy(ctx)
}

const isBoolean = (d: Dataset) => d.requests.every((r) => r.outcomes.every((o) => o.score === 0 || o.score === 1))

/** One pass of a policy over the setup's stream (every request scored unless `extra` says otherwise). */
export async function runPolicy(
  setup: ExperimentSetup,
  name: PolicyName,
  objective: ReplayObjective,
  seed: number,
  extra: Partial<ReplayOptions> = {},
): Promise<ReplayTrace> {
  return replay(setup.data, makePolicy(name, setup, objective, seed), {
    ...setup.base,
    seed,
    scoredFraction: 1,
    ...extra,
  })
}
