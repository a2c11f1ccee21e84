import { useCallback } from 'react'
import { navigate, useLocation } from './router.tsx'

/** Filters that belong to the whole dashboard and are carried when moving between pages. */
export const SHARED_PARAMS = ['range', 'from', 'to', 'tenant'] as const

/** A value to write: null/undefined/'' removes the key; an array writes the key once per value. */
export type ParamChange = string | readonly string[] | null | undefined

/** The current search params plus a setter that writes changes into the URL (null/'' removes a key). */
export function useSearchParams(): [
  URLSearchParams,
  (changes: Record<string, ParamChange>, options?: { replace?: boolean }) => void,
] {
  const { path, params } = useLocation()
  const update = useCallback(
    (changes: Record<string, ParamChange>, options: { replace?: boolean } = {}) => {
      const next = new URLSearchParams(window.location.search)
      for (const [k, v] of Object.entries(changes)) {
        if (typeof v === 'string' && v !== '') next.set(k, v)
        else next.delete(k)
        if (Array.isArray(v)) for (const item of v as readonly string[]) if (item !== '') next.append(k, item)
      }
      const qs = next.toString()
      navigate(qs ? `${path}?${qs}` : path, options)
    },
    [path],
  )
  return [params, update]
}

/** The shared filters of the current URL, to carry into a link to another page. */
export function sharedParams(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of SHARED_PARAMS) {
    const v = params.get(key)
    if (v) out[key] = v
  }
  return out
}
