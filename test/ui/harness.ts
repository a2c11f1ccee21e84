import type { BrowserContext, Page } from 'playwright-core'
import { CollectorClient } from '../../collector/client.ts'
import type { TenantAccess } from '../../collector/config.ts'
import { READ_KEYS, TENANTS } from '../helpers/api-fixtures.ts'
import { ensureUiBuilt, launchBrowser, startUiServer, type TestBrowser } from '../helpers/browser.ts'
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.ts'

export interface UiHarness {
  collector: TestCollector
  /** Base URL of the dashboard (registerUi + /api forwarded to the collector). */
  url: string
  admin: CollectorClient
  tenant(id: keyof typeof READ_KEYS): CollectorClient
  /** A fresh browser context (its own sessionStorage) and page; closed with the harness. */
  newPage(): Promise<Page>
  close(): Promise<void>
}

/** The API fixtures' two tenants with budgets: acme per day and per month, globex per month. */
export const UI_TENANTS: TenantAccess[] = TENANTS.map((t) => ({
  ...t,
  budgets: t.id === 'acme' ? { usdPerDay: '25', usdPerMonth: '500' } : { usdPerMonth: '0.75' },
}))

/** A real collector on a temp chDB dir with two tenants, the built UI in front of it, and chromium. */
export async function startUiHarness(
  options: { dataDir?: string; collector?: Record<string, unknown> } = {},
): Promise<UiHarness> {
  await ensureUiBuilt()
  const collector = await startTestCollector({
    tenants: UI_TENANTS,
    dataDir: options.dataDir,
    collector: options.collector,
  })
  let ui: Awaited<ReturnType<typeof startUiServer>> | undefined
  let browser: TestBrowser | undefined
  const contexts: BrowserContext[] = []
  try {
    ui = await startUiServer(collector.url)
    browser = await launchBrowser()
  } catch (err) {
    await ui?.close()
    await collector.close()
    throw err
  }
  const client = (token: string) => new CollectorClient({ baseUrl: collector.url, token })
  const started = { ui, browser }
  return {
    collector,
    url: ui.url,
    admin: client(ADMIN_TOKEN),
    tenant: (id) => client(READ_KEYS[id]),
    newPage: async () => {
      const context = await started.browser.browser.newContext({
        viewport: { width: 1440, height: 900 },
        acceptDownloads: true,
      })
      contexts.push(context)
      // Generous: the suite runs beside other test files on two cores; speed is checked in performance.test.ts.
      context.setDefaultTimeout(90_000)
      return context.newPage()
    },
    close: async () => {
      for (const c of contexts) await c.close().catch(() => undefined)
      await started.browser.close()
      await started.ui.close()
      await collector.close()
    },
  }
}
