import { QueryCache, QueryClient } from '@tanstack/react-query'
import { CollectorApiError } from '../api/client.ts'

export const REJECTED_KEY_MESSAGE = 'Your key was rejected: it is wrong or has expired. Sign in again.'

/** One QueryClient; a 401 from any query signs the user out with a clear message. */
export function createQueryClient(onUnauthorized: (message: string) => void): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({
      onError: (error) => {
        if (error instanceof CollectorApiError && error.status === 401) onUnauthorized(REJECTED_KEY_MESSAGE)
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        // 4xx answers are final (bad filter, no access); retry only network/5xx failures, once.
        retry: (count, error) =>
          count < 1 && !(error instanceof CollectorApiError && error.status >= 400 && error.status < 500),
      },
    },
  })
}
