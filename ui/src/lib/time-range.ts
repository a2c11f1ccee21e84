import { useMemo } from 'react'

/** A time range as it appears in the URL: a preset (`range=24h`) or explicit `from`/`to` (ISO, UTC). */
export const RANGE_PRESETS = ['1h', '6h', '24h', '7d', '30d', '90d'] as const
export type RangePreset = (typeof RANGE_PRESETS)[number]
export const DEFAULT_RANGE: RangePreset = '24h'

export interface ResolvedRange {
  from: Date
  to: Date
  /** The preset in force, or null for a custom range. */
  preset: RangePreset | null
}

const UNIT_MS = { h: 3_600_000, d: 86_400_000 } as const

export function presetMs(preset: RangePreset): number {
  const unit = preset.slice(-1) as keyof typeof UNIT_MS
  return Number(preset.slice(0, -1)) * UNIT_MS[unit]
}

const isPreset = (v: string | null): v is RangePreset => RANGE_PRESETS.includes(v as RangePreset)

/** Reads the range from URL params; `now` is rounded to the minute so query keys stay stable between renders. */
export function resolveRange(
  params: URLSearchParams,
  now = Date.now(),
  fallback: RangePreset = DEFAULT_RANGE,
): ResolvedRange {
  const from = params.get('from')
  const to = params.get('to')
  if (from && to) {
    const f = new Date(from)
    const t = new Date(to)
    if (!Number.isNaN(f.getTime()) && !Number.isNaN(t.getTime()) && f < t) return { from: f, to: t, preset: null }
  }
  const preset = isPreset(params.get('range')) ? (params.get('range') as RangePreset) : fallback
  const end = Math.ceil(now / 60_000) * 60_000
  return { from: new Date(end - presetMs(preset)), to: new Date(end), preset }
}

/** The API takes ISO 8601 without a zone as UTC; we send full ISO strings. */
export const toApiTime = (date: Date): string => date.toISOString()

/** A bucket size (ms) giving about `target` points over the range. */
export function bucketMs(range: ResolvedRange, target: number): number {
  const span = range.to.getTime() - range.from.getTime()
  const steps = [60_000, 300_000, 900_000, 3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000]
  return steps.find((s) => span / s <= target) ?? steps[steps.length - 1]!
}

/**
 * The part of the range that holds data: from just before its first point (`firstMs`) to the
 * range's end, at least `minMs` long. Charts bucket this rather than the whole range, so a fresh
 * install's few minutes of traffic are a curve, not one dot at the right edge of a day.
 */
export function dataRange(
  range: ResolvedRange,
  firstMs: number | null | undefined,
  minMs = 30 * 60_000,
): ResolvedRange {
  const to = range.to.getTime()
  if (firstMs === null || firstMs === undefined || !Number.isFinite(firstMs)) return range
  const start = Math.min(firstMs, to - minMs)
  const margin = (to - start) * 0.05
  const from = Math.max(range.from.getTime(), start - margin)
  return from === range.from.getTime() ? range : { from: new Date(from), to: range.to, preset: range.preset }
}

/** The range in unix seconds for a chart's x axis, stable across renders of the same range. */
export function useXRange(range: ResolvedRange): [number, number] {
  const from = range.from.getTime() / 1000
  const to = range.to.getTime() / 1000
  return useMemo(() => [from, to], [from, to])
}
