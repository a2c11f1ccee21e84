import { Pool } from 'undici'

export interface LoadResult {
  requests: number
  errors: number
  seconds: number
  rps: number
  /** Latency quantiles in milliseconds. */
  p50: number
  p99: number
}

/** A small closed-loop load generator: `concurrency` loops, each sending the next request when the last one ends. */
export async function load(url: string, path: string, body: string, headers: Record<string, string>, concurrency: number, seconds: number): Promise<LoadResult> {
  const origin = new URL(url).origin
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 })
  const latencies: number[] = []
  let errors = 0
  const started = performance.now()
  const deadline = started + seconds * 1000
  const loop = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now()
      try {
        const res = await pool.request({ path, method: 'POST', headers, body })
        await res.body.text()
        if (res.statusCode !== 200) errors++
        else latencies.push(performance.now() - t0)
      } catch {
        errors++
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  const elapsed = (performance.now() - started) / 1000
  await pool.close()
  latencies.sort((a, b) => a - b)
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN
  return { requests: latencies.length, errors, seconds: elapsed, rps: latencies.length / elapsed, p50: q(0.5), p99: q(0.99) }
}
