import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** Paths that belong to the API and the receiver: an unknown one is a 404, never the SPA's index.html. */
const NOT_THE_UI = /^\/(api|v1)(\/|$)|^\/(healthz|metrics)$/

/** The package's `ui/dist`, found from this module whether it runs from the sources or from the compiled dist/. */
export function builtUiDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  return join(dir, 'ui', 'dist')
}

/**
 * Serves the built dashboard (`ui/dist`, made by `npm run build`) at `/`. Hashed assets under
 * `/assets/` are cached for good; any other GET that is not an API path gets `index.html`, so a
 * shared link like `/traces/<id>?span=…` opens the right page. Without a build it only logs.
 */
export async function registerUi(app: FastifyInstance, options: { distDir: string }): Promise<void> {
  const root = resolve(options.distDir)
  if (!existsSync(join(root, 'index.html'))) {
    app.log.info({ distDir: root }, 'dashboard not built (no index.html); run `npm run build` to serve it at /')
    return
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // Routes for the files present at start; unknown paths fall through to the SPA route below.
    wildcard: false,
    index: false,
    setHeaders: (res, path) => {
      res.header(
        'cache-control',
        path.includes(`${join(root, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      )
    },
  })
  const sendIndex = async (req: FastifyRequest, reply: FastifyReply) => {
    if (NOT_THE_UI.test(req.url.split('?')[0] ?? '')) return reply.callNotFound()
    return reply.header('cache-control', 'no-cache').sendFile('index.html', root)
  }
  app.get('/', sendIndex)
  app.get('/*', sendIndex)
  app.log.info({ distDir: root }, 'dashboard served at /')
}
