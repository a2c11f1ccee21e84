import type { Score } from '../api/client.ts'
import { nsToDate } from '../api/client.ts'
import { PASS_THRESHOLD } from '../../../lib/reason-template.ts'

export const isGraded = (s: Score) => s.status === 'ok' && (s.data_type === 'numeric' || s.data_type === 'boolean')

/** A failing case: the scorer itself failed, or a graded score fell below the threshold. */
export const isFailing = (s: Score) => s.status === 'failed' || (isGraded(s) && s.value < PASS_THRESHOLD)

export interface ScoreAggregate {
  name: string
  route: string
  target: string
  count: number
  mean: number | null
  failing: number
}

/** Per scorer × route × target. */
export function aggregateScores(scores: Score[]): ScoreAggregate[] {
  const groups = new Map<string, ScoreAggregate & { sum: number; graded: number }>()
  for (const s of scores) {
    const key = `${s.name}\u0000${s.route}\u0000${s.target}`
    const g = groups.get(key) ?? {
      name: s.name,
      route: s.route,
      target: s.target,
      count: 0,
      mean: null,
      failing: 0,
      sum: 0,
      graded: 0,
    }
    g.count++
    if (isGraded(s)) {
      g.graded++
      g.sum += s.value
    }
    if (isFailing(s)) g.failing++
    groups.set(key, g)
  }
  return [...groups.values()]
    .map(({ sum, graded, ...g }) => ({ ...g, mean: graded ? sum / graded : null }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.route.localeCompare(b.route) || a.target.localeCompare(b.target))
}

/** Mean of graded scores per scorer per time bucket. */
export function scoreSeries(scores: Score[], bucketMs: number) {
  const graded = scores.filter(isGraded)
  const buckets = [
    ...new Set(graded.map((s) => Math.floor(nsToDate(s.created_at_ns).getTime() / bucketMs) * bucketMs)),
  ].sort((a, b) => a - b)
  const names = [...new Set(graded.map((s) => s.name))].sort()
  const sums = new Map<string, { sum: number; n: number }>()
  for (const s of graded) {
    const key = `${s.name}\u0000${Math.floor(nsToDate(s.created_at_ns).getTime() / bucketMs) * bucketMs}`
    const cell = sums.get(key) ?? { sum: 0, n: 0 }
    cell.sum += s.value
    cell.n++
    sums.set(key, cell)
  }
  return {
    x: buckets.map((b) => b / 1000),
    series: names.map((name) => ({
      label: name,
      values: buckets.map((b) => {
        const cell = sums.get(`${name}\u0000${b}`)
        return cell ? cell.sum / cell.n : null
      }),
    })),
  }
}
