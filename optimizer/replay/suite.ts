/**
 * The validation suite (docs/replay.md › "Validation suite"): replay datasets the learner was not
 * developed on, built by generators with documented parameters. Every family has a *tune* split
 * (instances the learner's settings may be adjusted on) and a *held-out* split (other instances of
 * the same family: other generator seeds, other model subsets, other MMLU subjects), reported
 * only. A generator is a pure function of its parameters and seed.
 */
import { readFileSync } from 'node:fs'
import { sampleBeta, sampleNormal, seededRng, shuffle, type Rng } from '../random.ts'
import { parseDataset, type Dataset, type Outcome } from './dataset.ts'
import { convertMmlu, GPT4, MIXTRAL, ROUTELLM_DIR } from './routellm.ts'
import { logit, sigmoid } from '../logit.ts'

/**
 * Public per-model figures, written down from the vendors' model cards and price pages at each
 * model's release (approximate; not from a file): MMLU accuracy (5-shot as reported), USD per 1M
 * input / output tokens. They set each synthetic target's base quality and its price.
 */
export const PUBLIC_MODELS = [
  { name: 'gpt-4o', mmlu: 0.887, input: 2.5, output: 10 },
  { name: 'gpt-4o-mini', mmlu: 0.82, input: 0.15, output: 0.6 },
  { name: 'gpt-4-turbo', mmlu: 0.865, input: 10, output: 30 },
  { name: 'gpt-3.5-turbo', mmlu: 0.7, input: 0.5, output: 1.5 },
  { name: 'claude-3-opus', mmlu: 0.868, input: 15, output: 75 },
  { name: 'claude-3.5-sonnet', mmlu: 0.887, input: 3, output: 15 },
  { name: 'claude-3-haiku', mmlu: 0.752, input: 0.25, output: 1.25 },
  { name: 'gemini-1.5-pro', mmlu: 0.859, input: 1.25, output: 5 },
  { name: 'gemini-1.5-flash', mmlu: 0.789, input: 0.075, output: 0.3 },
  { name: 'llama-3.1-405b', mmlu: 0.886, input: 3.5, output: 3.5 },
  { name: 'llama-3.1-70b', mmlu: 0.86, input: 0.88, output: 0.88 },
  { name: 'llama-3.1-8b', mmlu: 0.73, input: 0.18, output: 0.18 },
  { name: 'mixtral-8x7b', mmlu: 0.706, input: 0.6, output: 0.6 },
  { name: 'mistral-large', mmlu: 0.812, input: 2, output: 6 },
] as const

export type Family = 'price-table' | 'wide-many' | 'narrow-numeric' | 'routellm-remix'
export const FAMILIES: Family[] = ['price-table', 'wide-many', 'narrow-numeric', 'routellm-remix']
export type Split = 'tune' | 'heldout'

/**
 * Generator seeds per split; the held-out ones are never run while the learner is being changed.
 * Seeds 101 and 102 were the held-out split until a session diagnosed a failure on #102 and chose
 * between learners with them (docs/replay.md › Held-out results): they became tuning data, and
 * 201 and 202 replaced them.
 */
export const SPLIT_SEEDS: Record<Split, number[]> = { tune: [1, 2], heldout: [201, 202] }

export interface SuiteDataset {
  family: Family
  split: Split
  /** What it was built from, for the report and docs. */
  label: string
  data: Dataset
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x))
const bernoulli = (rng: Rng, p: number) => (rng.next() < p ? 1 : 0)
const lognormal = (rng: Rng, median: number, sigma: number) => median * Math.exp(sigma * sampleNormal(rng))

interface TargetProfile {
  name: string
  /** Accuracy on a route of average difficulty. */
  quality: number
  /** USD per input / output token. */
  input: number
  output: number
  /** Output-length multiplier (verbose models cost more per request). */
  verbosity: number
}

interface RouteProfile {
  name: string
  share: number
  /** Added to every target's logit quality on this route. */
  difficulty: number
  promptTokens: number
  answerTokens: number
}

interface GenerateOptions {
  targets: TargetProfile[]
  routes: RouteProfile[]
  requests: number
  /** Standard deviation of the route × target interaction, in logits. */
  interaction: number
  /**
   * Loading of every outcome on one latent per-request difficulty (logits): outcomes across
   * targets are correlated (a hard question is hard for everyone).
   */
  itemLoading: number
  /** 'boolean': 0/1 outcomes; 'numeric': Beta-distributed scores with the same mean, concentration 8. */
  scores: 'boolean' | 'numeric'
  rng: Rng
}

/** Rows from target and route profiles: see GenerateOptions for each parameter's meaning. */
function generate(o: GenerateOptions): Dataset {
  const { rng } = o
  const skill = o.routes.map((r) =>
    o.targets.map((t) => logit(clamp(t.quality, 0.02, 0.98)) + r.difficulty + o.interaction * sampleNormal(rng)),
  )
  const total = o.routes.reduce((a, r) => a + r.share, 0)
  const requests = []
  for (let i = 0; i < o.requests; i++) {
    let u = rng.next() * total
    let ri = 0
    while (ri < o.routes.length - 1 && u >= o.routes[ri]!.share) u -= o.routes[ri++]!.share
    const route = o.routes[ri]!
    const item = o.itemLoading * sampleNormal(rng)
    const promptTokens = lognormal(rng, route.promptTokens, 0.6)
    const answerTokens = lognormal(rng, route.answerTokens, 0.4)
    const outcomes: Outcome[] = o.targets.map((t, ti) => {
      const p = sigmoid(skill[ri]![ti]! - item)
      const score = o.scores === 'boolean' ? bernoulli(rng, p) : round3(sampleBeta(rng, 1 + 8 * p, 1 + 8 * (1 - p)))
      return { score, costUsd: promptTokens * t.input + answerTokens * t.verbosity * t.output, latencyMs: null }
    })
    requests.push({ route: route.name, outcomes })
  }
  return { targets: o.targets.map((t) => t.name), routes: o.routes.map((r) => r.name), requests }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000
const perToken = (usdPerMillion: number) => usdPerMillion / 1e6

/** Route sizes: Zipf-like shares 1, 1/2, 1/3 … (a few large routes and a tail of small ones). */
function zipfRoutes(rng: Rng, count: number, prefix: string, promptTokens = 400, answerTokens = 200): RouteProfile[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${i + 1}`,
    share: 1 / (i + 1),
    difficulty: 0.8 * sampleNormal(rng),
    promptTokens: Math.round(lognormal(rng, promptTokens, 0.8)),
    answerTokens: Math.round(lognormal(rng, answerTokens, 0.5)),
  }))
}

/**
 * price-table: 9–12 models drawn from PUBLIC_MODELS (their MMLU accuracy as base quality, list
 * prices), three task routes of 60% / 30% / 10% of 20,000 requests (chat: 300 → 200 tokens;
 * code: 800 → 400; summarize: 2,000 → 150 median tokens, lognormal), interaction sd 0.4 logits, item
 * loading 1.2, boolean. Costs land between about $1e-4 and $3e-2 per request.
 */
function priceTable(seed: number): Dataset {
  const rng = seededRng(seed * 31 + 1)
  const k = 9 + Math.floor(rng.next() * 4)
  const models = shuffle(rng, [...PUBLIC_MODELS]).slice(0, k)
  const routes: RouteProfile[] = [
    { name: 'chat', share: 0.6, difficulty: 0.4, promptTokens: 300, answerTokens: 200 },
    { name: 'code', share: 0.3, difficulty: -0.5, promptTokens: 800, answerTokens: 400 },
    { name: 'summarize', share: 0.1, difficulty: 0.2, promptTokens: 2000, answerTokens: 150 },
  ]
  const targets = models.map((m) => ({
    name: m.name,
    quality: m.mmlu,
    input: perToken(m.input),
    output: perToken(m.output),
    verbosity: 0.7 + 0.6 * rng.next(),
  }))
  return generate({ targets, routes, requests: 20_000, interaction: 0.4, itemLoading: 1.2, scores: 'boolean', rng })
}

/**
 * wide-many: 12–15 synthetic targets, input prices log-uniform over a 300× range ($0.05–$15 per
 * 1M tokens, output 2×), quality rising with log price (0.62 + 0.045·log2(price / $0.05) ± 0.05), a third of them
 * made *dominated*: a copy of a cheaper target's price × 2–4 with quality 0.03–0.12 lower. Eight
 * Zipf-sized routes (median prompt 400, answer 200 tokens), 20,000 requests, interaction sd 0.5,
 * item loading 1.0, boolean.
 */
function wideMany(seed: number): Dataset {
  const rng = seededRng(seed * 31 + 2)
  const k = 12 + Math.floor(rng.next() * 4)
  const dominated = Math.floor(k / 3)
  const base: TargetProfile[] = Array.from({ length: k - dominated }, (_, i) => {
    const price = 0.05 * 300 ** rng.next()
    return {
      name: `w${i + 1}`,
      quality: clamp(0.62 + 0.045 * Math.log2(price / 0.05) + 0.05 * sampleNormal(rng), 0.4, 0.95),
      input: perToken(price),
      output: perToken(2 * price),
      verbosity: 0.8 + 0.4 * rng.next(),
    }
  })
  const dom: TargetProfile[] = Array.from({ length: dominated }, (_, i) => {
    const of = base[Math.floor(rng.next() * base.length)]!
    const f = 2 + 2 * rng.next()
    return {
      name: `d${i + 1}`,
      quality: clamp(of.quality - 0.03 - 0.09 * rng.next(), 0.3, 0.95),
      input: of.input * f,
      output: of.output * f,
      verbosity: of.verbosity,
    }
  })
  return generate({
    targets: shuffle(rng, [...base, ...dom]),
    routes: zipfRoutes(rng, 8, 'task'),
    requests: 20_000,
    interaction: 0.5,
    itemLoading: 1.0,
    scores: 'boolean',
    rng,
  })
}

/**
 * narrow-numeric: 5–7 targets whose prices differ by at most 3× ($1–$3 per 1M tokens), qualities
 * 0.70 ± 0.06, numeric scores (Beta around the target's accuracy, concentration 8: a judge's
 * graded score), five Zipf-sized routes, 15,000 requests, interaction sd 0.3, item loading 0.8.
 */
function narrowNumeric(seed: number): Dataset {
  const rng = seededRng(seed * 31 + 3)
  const k = 5 + Math.floor(rng.next() * 3)
  const targets: TargetProfile[] = Array.from({ length: k }, (_, i) => {
    const price = 1 + 2 * rng.next()
    return {
      name: `n${i + 1}`,
      quality: clamp(0.7 + 0.06 * sampleNormal(rng), 0.5, 0.9),
      input: perToken(price),
      output: perToken(2 * price),
      verbosity: 1,
    }
  })
  return generate({
    targets,
    routes: zipfRoutes(rng, 5, 'skill'),
    requests: 15_000,
    interaction: 0.3,
    itemLoading: 0.8,
    scores: 'numeric',
    rng,
  })
}

/**
 * routellm-remix: the RouteLLM MMLU rows (real GPT-4 and Mixtral outcomes, list-price costs) on
 * half of the 57 subjects — tune: the subjects at even positions in the data's order, held out:
 * the odd ones — plus four synthetic targets derived from each row:
 * - `gpt4-reseller`: GPT-4's outcome at 1.5× its cost (dominated by GPT-4);
 * - `mixtral-lossy`: Mixtral's outcome, 15% of correct answers turned wrong, at Mixtral's cost (dominated);
 * - `mid-model`: GPT-4's outcome where the two agree, else correct with probability 0.5, at 0.25× GPT-4's cost;
 * - `tiny-model`: Mixtral's outcome with 25% of correct answers turned wrong, at 0.2× Mixtral's cost.
 */
function routellmRemix(split: Split, seed: number): Dataset {
  const mmlu = parseDataset(convertMmlu(readFileSync(`${ROUTELLM_DIR}/routellm_mmlu.csv`, 'utf8')), 'routellm MMLU')
  const rng = seededRng(seed * 31 + 4)
  const keep = new Set(mmlu.routes.filter((_, i) => i % 2 === (split === 'tune' ? 0 : 1)))
  const g = mmlu.targets.indexOf(GPT4)
  const m = mmlu.targets.indexOf(MIXTRAL)
  const lossy = (score: number, p: number) => (score === 1 && rng.next() < p ? 0 : score)
  const requests = mmlu.requests
    .filter((r) => keep.has(r.route))
    .map((r) => {
      const G = r.outcomes[g]!
      const M = r.outcomes[m]!
      const mid = G.score === M.score ? G.score : bernoulli(rng, 0.5)
      return {
        route: r.route,
        outcomes: [
          G,
          M,
          { score: G.score, costUsd: 1.5 * G.costUsd, latencyMs: null },
          { score: lossy(M.score, 0.15), costUsd: M.costUsd, latencyMs: null },
          { score: mid, costUsd: 0.25 * G.costUsd, latencyMs: null },
          { score: lossy(M.score, 0.25), costUsd: 0.2 * M.costUsd, latencyMs: null },
        ],
      }
    })
  return {
    targets: [GPT4, MIXTRAL, 'gpt4-reseller', 'mixtral-lossy', 'mid-model', 'tiny-model'],
    routes: [...keep],
    requests,
  }
}

export function suiteDataset(family: Family, split: Split, seed: number): SuiteDataset {
  const data =
    family === 'price-table'
      ? priceTable(seed)
      : family === 'wide-many'
        ? wideMany(seed)
        : family === 'narrow-numeric'
          ? narrowNumeric(seed)
          : routellmRemix(split, seed)
  return { family, split, label: `${family} #${seed} (${split})`, data }
}

/** The suite's datasets of one split (the routellm-remix family has one instance per split: its subjects differ). */
export function suite(split: Split, families: readonly Family[] = FAMILIES): SuiteDataset[] {
  return families.flatMap((f) =>
    f === 'routellm-remix'
      ? [suiteDataset(f, split, SPLIT_SEEDS[split][0]!)]
      : SPLIT_SEEDS[split].map((s) => suiteDataset(f, split, s)),
  )
}

/** The dataset as a replay CSV (docs/replay.md's format), so `--data FILE` runs it too. */
export function toCsv(data: Dataset): string {
  const header = ['route', ...data.targets.flatMap((t) => [`${t}|score`, `${t}|cost_usd`])]
  const lines = data.requests.map((r) =>
    [r.route, ...r.outcomes.flatMap((o) => [String(o.score), o.costUsd.toExponential(6)])].join(','),
  )
  return `${[header.join(','), ...lines].join('\n')}\n`
}
