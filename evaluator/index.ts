/**
 * The evaluator's public face: the worker (`start`), the producer the collector's `onStored`
 * hook calls (`createEvaluationEnqueuer`), the queue (inspect and replay dead letters), config.
 */
export { start, evaluationQueue, type EvaluatorOptions, type RunningEvaluator } from './start.ts'
export { createEvaluationEnqueuer, scorerVersions, type EvaluationEnqueuer } from './enqueue.ts'
export {
  evaluatorConfigSchema,
  evaluatorEnvironment,
  routeEvaluation,
  type EvaluatorSettings,
  type RouteEvaluation,
} from './config.ts'
export { createQueue } from './queue/index.ts'
export type { JobQueue, DeadLetter, QueueCounts, NewJob, QueueJob } from './queue/types.ts'
export type { EvaluationJob, StoredSpanSummary, ScorerRef } from './jobs.ts'
export { EXPECTED_ANSWER, EXPECTED_MATCH, EXPECTED_TOLERANCE } from '../lib/attributes.ts'
