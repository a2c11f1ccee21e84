import type { RouteTargetStats } from '../collector/client.ts'
import type { CollectorClient } from '../collector/client.ts'

/** A half-open window [fromMs, toMs) of the optimizer's clock, in milliseconds since the epoch. */
export interface StatsWindow {
  fromMs: number
  toMs: number
}

/**
 * Where the optimizer reads per route × target statistics. The live implementation asks the
 * collector; the replay harness implements the same interface in memory with the same shape.
 */
export interface RouteStatsSource {
  read(window: StatsWindow, options: { score?: string }): Promise<RouteTargetStats[]>
}

export const msToNs = (ms: number): string => (BigInt(Math.floor(ms)) * 1_000_000n).toString()

export class CollectorStatsSource implements RouteStatsSource {
  constructor(private readonly client: CollectorClient) {}

  async read(window: StatsWindow, options: { score?: string }): Promise<RouteTargetStats[]> {
    const res = await this.client.routeStats({
      from: msToNs(window.fromMs),
      to: msToNs(window.toMs),
      score: options.score,
    })
    return res.stats
  }
}
