import { nsToDate } from '../api/client.ts'

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

export const formatCount = (n: number): string => integer.format(n)

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  if (ms < 1) return `${ms.toFixed(2)} ms`
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`
  return `${(ms / 60_000).toFixed(1)} min`
}

export const formatPercent = (ratio: number | null | undefined): string =>
  ratio === null || ratio === undefined || Number.isNaN(ratio) ? '—' : `${(ratio * 100).toFixed(1)}%`

export const formatScore = (v: number | null | undefined): string =>
  v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(3)

/**
 * USD as the API wrote it (exact decimal string), with `$` and trailing zeros trimmed. We show the
 * string rather than a rounded float so a table's total visibly equals the sum of its rows.
 */
export function formatUsd(decimal: string): string {
  const negative = decimal.startsWith('-')
  const [whole = '0', fraction = ''] = decimal.replace(/^-/, '').split('.')
  const trimmed = fraction.replace(/0+$/, '')
  const shown = trimmed.length < 2 ? trimmed.padEnd(2, '0') : trimmed
  return `${negative ? '-' : ''}$${whole}.${shown}`
}

export const formatNsDate = (ns: string): string => formatDate(nsToDate(ns))

export function formatDate(date: Date): string {
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z')
}

/** Milliseconds between two ns strings, exact enough for display. */
export const nsDiffMs = (fromNs: string, toNs: string): number => Number(BigInt(toNs) - BigInt(fromNs)) / 1e6
