import { useQueryClient } from '@tanstack/react-query'
import { Suspense, useLayoutEffect } from 'react'
import { prefetchPageData } from '../api/page-queries.ts'
import { useTenants } from '../api/queries.ts'
import { TenantPicker } from '../components/TenantPicker.tsx'
import { Empty, Loading } from '../components/States.tsx'
import { ErrorBoundary } from '../components/ErrorBoundary.tsx'
import { useAuth } from './auth.tsx'
import { href, Link, navigate, useLocation } from './router.tsx'
import { matchRoute, movedPath, NAV } from './routes.ts'
import { sharedParams } from './url-state.ts'

export function Shell() {
  const { path, params } = useLocation()
  const { signOut, client } = useAuth()
  const queryClient = useQueryClient()
  const match = matchRoute(path)
  const search = params.toString()
  const moved = movedPath(path)
  useLayoutEffect(() => {
    if (moved) navigate(search ? `${moved}?${search}` : moved, { replace: true })
  }, [moved, search])
  // Runs before the lazy page commits, so its data and its code load side by side.
  useLayoutEffect(() => {
    if (client) prefetchPageData(queryClient, client, path, new URLSearchParams(search))
  }, [queryClient, client, path, search])
  const carried = sharedParams(params)
  const isAdmin = useTenants().data?.admin === true
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Loopgate</span>
        <nav>
          {NAV.map((item) => {
            const active = item.path === '/' ? path === '/' : path.startsWith(item.path)
            return (
              <Link
                key={item.path}
                to={href(item.path, carried)}
                className={active ? 'active' : ''}
                aria-current={active ? 'page' : undefined}
              >
                {item.path === '/admin' && !isAdmin ? 'Keys' : item.label}
              </Link>
            )
          })}
        </nav>
        <TenantPicker />
        <button type="button" className="link-button" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main>
        <ErrorBoundary key={path}>
          <Suspense fallback={<Loading what="page" />}>
            {match ? <match.page id={match.id} /> : moved ? <Loading what="page" /> : <Empty>No page at {path}.</Empty>}
          </Suspense>
        </ErrorBoundary>
      </main>
    </div>
  )
}
