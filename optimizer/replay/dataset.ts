import { parseCsv, ReplayDataError } from './csv.ts'

/** One target's outcome on one request. */
export interface Outcome {
  score: number
  costUsd: number
  /** From the CSV, or null to be synthesized from the target's latency parameters. */
  latencyMs: number | null
}

export interface ReplayRequest {
  route: string
  /** Parallel to `Dataset.targets`. */
  outcomes: Outcome[]
}

export interface Dataset {
  targets: string[]
  routes: string[]
  requests: ReplayRequest[]
}

/** Per route (data.routes order) and target: requests, score sums, squared-score sums and cost sums, flat as [route · k + target]. */
export interface RouteTotals {
  requests: Float64Array
  score: Float64Array
  scoreSq: Float64Array
  cost: Float64Array
}

/** Sums every target's outcomes per route over the whole stream: what hindsight measures are taken from. */
export function routeTotals(data: Dataset): RouteTotals {
  const k = data.targets.length
  const routeIndex = new Map(data.routes.map((r, i) => [r, i]))
  const cells = data.routes.length * k
  const t: RouteTotals = {
    requests: new Float64Array(data.routes.length),
    score: new Float64Array(cells),
    scoreSq: new Float64Array(cells),
    cost: new Float64Array(cells),
  }
  for (const row of data.requests) {
    const r = routeIndex.get(row.route)!
    t.requests[r]! += 1
    row.outcomes.forEach((o, j) => {
      t.score[r * k + j]! += o.score
      t.scoreSq[r * k + j]! += o.score * o.score
      t.cost[r * k + j]! += o.costUsd
    })
  }
  return t
}

const SCORE = 'score'
const COST = 'cost_usd'
const LATENCY = 'latency_ms'

/**
 * Reads the replay CSV (docs/replay.md): a `route` column and, per target, `TARGET|score`
 * (0–1), `TARGET|cost_usd` and optionally `TARGET|latency_ms`. Other columns are ignored.
 * Every problem names the line and the column.
 */
export function parseDataset(text: string, source = 'dataset'): Dataset {
  const records = parseCsv(text)
  const header = records[0]
  if (!header)
    throw new ReplayDataError(
      `${source}: empty file; expected a header line with "route" and TARGET|score, TARGET|cost_usd columns`,
    )
  const names = header.cells.map((c) => c.trim())
  const routeCol = names.indexOf('route')
  if (routeCol < 0) throw new ReplayDataError(`${source}: line 1: missing column "route"`)
  const targets: string[] = []
  for (const n of names) {
    const bar = n.lastIndexOf('|')
    if (bar <= 0) continue
    const target = n.slice(0, bar)
    if (!targets.includes(target)) targets.push(target)
  }
  if (targets.length < 2)
    throw new ReplayDataError(
      `${source}: line 1: need at least two targets (columns TARGET|score and TARGET|cost_usd); found ${targets.length}`,
    )
  const cols = targets.map((t) => {
    const score = names.indexOf(`${t}|${SCORE}`)
    const cost = names.indexOf(`${t}|${COST}`)
    if (score < 0) throw new ReplayDataError(`${source}: line 1: missing column "${t}|${SCORE}"`)
    if (cost < 0) throw new ReplayDataError(`${source}: line 1: missing column "${t}|${COST}"`)
    return { target: t, score, cost, latency: names.indexOf(`${t}|${LATENCY}`) }
  })
  const requests: ReplayRequest[] = []
  const routes = new Set<string>()
  for (const rec of records.slice(1)) {
    if (rec.cells.length !== names.length)
      throw new ReplayDataError(
        `${source}: line ${rec.line}: expected ${names.length} columns, found ${rec.cells.length}`,
      )
    const route = rec.cells[routeCol]!.trim()
    if (!route) throw new ReplayDataError(`${source}: line ${rec.line}, column "route": empty route`)
    const num = (col: number, min: number, max: number): number => {
      const raw = rec.cells[col]!.trim()
      const v = Number(raw)
      if (raw === '' || !Number.isFinite(v) || v < min || v > max) {
        throw new ReplayDataError(
          `${source}: line ${rec.line}, column "${names[col]}": "${raw}" is not a number in [${min}, ${max === Infinity ? '∞' : max}]`,
        )
      }
      return v
    }
    const outcomes = cols.map((c) => ({
      score: num(c.score, 0, 1),
      costUsd: num(c.cost, 0, Infinity),
      latencyMs: c.latency >= 0 && rec.cells[c.latency]!.trim() !== '' ? num(c.latency, 0, Infinity) : null,
    }))
    routes.add(route)
    requests.push({ route, outcomes })
  }
  if (!requests.length) throw new ReplayDataError(`${source}: no data lines after the header`)
  return { targets, routes: [...routes], requests }
}
