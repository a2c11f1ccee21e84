import { Pool } from 'undici'

export interface LoadResult {
  requests: number
  errors: number
  seconds: number
  rps: number
  /** Latency quantiles in milliseconds (to the last byte of the answer). */
  p50: number
  p99: number
  /** Time to the first byte of the answer's body, in milliseconds. */
  ttfbP50: number
  ttfbP99: number
}

/** A small closed-loop load generator: `concurrency` loops, each sending the next request when the last one ends. */
export async function load(
  url: string,
  path: string,
  body: string,
  headers: Record<string, string>,
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const origin = new URL(url).origin
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 })
  const latencies: number[] = []
  const firstBytes: number[] = []
  let errors = 0
  const started = performance.now()
  const deadline = started + seconds * 1000
  const loop = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now()
      try {
        const res = await pool.request({ path, method: 'POST', headers, body })
        let first = NaN
        for await (const chunk of res.body) {
          if (first !== first && (chunk as Buffer).length) first = performance.now() - t0
        }
        if (res.statusCode !== 200) errors++
        else {
          latencies.push(performance.now() - t0)
          firstBytes.push(first)
        }
      } catch {
        errors++
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  const elapsed = (performance.now() - started) / 1000
  await pool.close()
  const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN
  latencies.sort((a, b) => a - b)
  firstBytes.sort((a, b) => a - b)
  return {
    requests: latencies.length,
    errors,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    p50: q(latencies, 0.5),
    p99: q(latencies, 0.99),
    ttfbP50: q(firstBytes, 0.5),
    ttfbP99: q(firstBytes, 0.99),
  }
}
