import { useCallback } from 'react'
import { navigate, useLocation } from './router.tsx'

/** Filters that belong to the whole dashboard and are carried when moving between pages. */
export const SHARED_PARAMS = ['range', 'from', 'to', 'tenant'] as const

/** The current search params plus a setter that writes changes into the URL (null/'' removes a key). */
export function useSearchParams(): [URLSearchParams, (changes: Record<string, string | null | undefined>, options?: { replace?: boolean }) => void] {
  const { path, params } = useLocation()
  const update = useCallback(
    (changes: Record<string, string | null | undefined>, options: { replace?: boolean } = {}) => {
      const next = new URLSearchParams(window.location.search)
      for (const [k, v] of Object.entries(changes)) {
        if (v === null || v === undefined || v === '') next.delete(k)
        else next.set(k, v)
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
