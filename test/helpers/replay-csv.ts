import { seededRng } from '../../optimizer/random.ts'

/**
 * A replay CSV (docs/replay.md › Input) of `rows` requests on one route "chat": each target scores 1
 * with its probability (0 otherwise) at its cost per request.
 */
export function oneRouteCsv(targets: Record<string, { p: number; cost: number }>, rows: number, seed: number): string {
  const rng = seededRng(seed)
  const names = Object.keys(targets)
  const lines = [`route,${names.map((t) => `${t}|score,${t}|cost_usd`).join(',')}`]
  for (let i = 0; i < rows; i++)
    lines.push(`chat,${names.map((t) => `${rng.next() < targets[t]!.p ? 1 : 0},${targets[t]!.cost}`).join(',')}`)
  return lines.join('\n') + '\n'
}
