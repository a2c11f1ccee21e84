import { lazy, type ComponentType, type LazyExoticComponent } from 'react'

// Every page is its own chunk, so the main bundle holds only the shell.
const OverviewPage = lazy(() => import('../pages/OverviewPage.tsx'))
const RequestsPage = lazy(() => import('../pages/RequestsPage.tsx'))
const SessionsPage = lazy(() => import('../pages/SessionsPage.tsx'))
const SessionPage = lazy(() => import('../pages/SessionPage.tsx'))
const TracePage = lazy(() => import('../pages/TracePage.tsx'))
const ChargebackPage = lazy(() => import('../pages/ChargebackPage.tsx'))
const RoutesPage = lazy(() => import('../pages/RoutesPage.tsx'))
const EvaluationsPage = lazy(() => import('../pages/EvaluationsPage.tsx'))
const AdminPage = lazy(() => import('../pages/AdminPage.tsx'))

type Page = LazyExoticComponent<ComponentType<{ id: string }>>

export const NAV = [
  { path: '/', label: 'Overview' },
  { path: '/requests', label: 'Requests' },
  { path: '/sessions', label: 'Sessions' },
  { path: '/chargeback', label: 'Chargeback' },
  { path: '/routes', label: 'Routes' },
  { path: '/evaluations', label: 'Evaluations' },
  // Admin token: the admin console; a tenant read key: its own keys, read-only (Shell names it "Keys").
  { path: '/admin', label: 'Admin' },
] as const

/** The page for a path and its id segment (session or trace id), or null for an unknown path. */
export function matchRoute(path: string): { page: Page; id: string } | null {
  const [, first = '', second] = path.split('/').map(decodeURIComponent)
  if (second !== undefined && second !== '') {
    if (first === 'sessions') return { page: SessionPage, id: second }
    if (first === 'traces') return { page: TracePage, id: second }
    return null
  }
  const pages: Record<string, Page> = {
    '': OverviewPage,
    requests: RequestsPage,
    sessions: SessionsPage,
    chargeback: ChargebackPage,
    routes: RoutesPage,
    evaluations: EvaluationsPage,
    admin: AdminPage,
  }
  const page = pages[first]
  return page ? { page, id: '' } : null
}

/** Old paths that moved: links and bookmarks to them keep working. */
const MOVED: Record<string, string> = { '/tenants': '/chargeback' }

export const movedPath = (path: string): string | undefined => MOVED[path.replace(/\/+$/, '') || '/']
