import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import Fastify from 'fastify'
import { chromium, type Browser, type Page } from 'playwright-core'
import { registerUi } from '../../collector/ui-static.ts'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
export const UI_DIST = join(repoRoot, 'ui', 'dist')
const ARTIFACTS = join(repoRoot, 'test-artifacts', 'ui')
const execFileAsync = promisify(execFile)
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

function newestMtime(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestMtime(join(path, name))))
}

/**
 * Builds ui/dist unless it is newer than every UI source. Test files run in parallel forks, so a
 * lock directory makes the second one wait for the first one's build instead of racing it.
 */
export async function ensureUiBuilt(): Promise<void> {
  const lock = join(tmpdir(), 'loopgate-ui-build.lock')
  const deadline = Date.now() + 120_000
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (Date.now() > deadline)
        throw new Error(`UI build lock ${lock} held for 2 minutes; remove it if no build is running`)
      await new Promise((r) => setTimeout(r, 250))
    }
  }
  try {
    const sources = [
      'ui/src',
      'ui/index.html',
      'ui/vite.config.ts',
      'collector/client.ts',
      'collector/api/types.ts',
      'lib',
    ].map((p) => join(repoRoot, p))
    const built = join(UI_DIST, 'index.html')
    if (existsSync(built) && statSync(built).mtimeMs > Math.max(...sources.map(newestMtime))) return
    // A child process: vitest sets NODE_ENV=test, which would bundle React's development build.
    await execFileAsync(
      process.execPath,
      [join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'ui', '--logLevel', 'warn'],
      {
        cwd: repoRoot,
        env: { ...process.env, NODE_ENV: 'production' },
      },
    )
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/** Serves ui/dist through the collector's registerUi and forwards /api to a running collector. */
export async function startUiServer(collectorUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify()
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
  app.all('/api/*', async (req, reply) => {
    const headers: Record<string, string> = {}
    for (const name of ['authorization', 'content-type', 'accept']) {
      const v = req.headers[name]
      if (typeof v === 'string') headers[name] = v
    }
    const res = await fetch(`${collectorUrl}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : (req.body as Buffer),
    })
    reply.code(res.status)
    const type = res.headers.get('content-type')
    if (type) reply.header('content-type', type)
    return reply.send(Buffer.from(await res.arrayBuffer()))
  })
  await registerUi(app, { distDir: UI_DIST })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url, close: () => app.close() }
}

export interface TestBrowser {
  browser: Browser
  close(): Promise<void>
}

/** Debian's chromium, headless; playwright gives it a fresh temporary profile and removes it on close. */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
  return {
    browser,
    close: async () => {
      await browser.close()
    },
  }
}

/** Saves a full-page screenshot to test-artifacts/ui/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
}

/** Opens `path` and signs in with `token` on the login form (the app keeps the path). */
export async function signIn(page: Page, baseUrl: string, path: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}${path}`)
  await page.getByLabel('Key').fill(token)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
}
