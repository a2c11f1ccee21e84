import type { ReactNode } from 'react'
import { CollectorApiError } from '../api/client.ts'

export function Loading({ what }: { what: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      Loading {what}…
    </div>
  )
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty">{children}</div>
}

export function ErrorState({ error, what }: { error: unknown; what: string }) {
  const status = error instanceof CollectorApiError ? error.status : undefined
  const message = error instanceof Error ? error.message : String(error)
  const headline =
    status === 403
      ? `You have no access to ${what}.`
      : status === 404
        ? `No ${what} found.`
        : status === 0
          ? 'The collector is unreachable.'
          : `Could not load ${what}.`
  return (
    <div className="state state-error" role="alert">
      <strong>{headline}</strong> <span className="muted">{message}</span>
    </div>
  )
}

interface QueryLike<T> {
  data: T | undefined
  error: unknown
  isPending: boolean
}

/** Renders the loading / error / empty state of a query, or `children(data)` when there is something to show. */
export function QueryView<T>({
  query,
  what,
  isEmpty,
  empty,
  children,
}: {
  query: QueryLike<T>
  what: string
  isEmpty?: (data: T) => boolean
  empty?: ReactNode
  children: (data: T) => ReactNode
}) {
  if (query.error) return <ErrorState error={query.error} what={what} />
  if (query.isPending || query.data === undefined) return <Loading what={what} />
  if (isEmpty?.(query.data)) return <Empty>{empty ?? `No ${what} in this time range.`}</Empty>
  return <>{children(query.data)}</>
}
