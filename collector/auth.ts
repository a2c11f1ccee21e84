import { createHash, timingSafeEqual } from 'node:crypto'
import type { TenantAccess } from './config.ts'

/**
 * Who is calling: the admin (every tenant), one tenant, or nobody. `keyId` names the key without
 * revealing it (`admin`, or `<tenant>/sha256:<first 12 hex of its hash>`, the form config accepts),
 * so an annotation can be attributed to the key that posted it; `readOnly` keys may not write scores.
 */
export type Caller =
  | { kind: 'admin'; keyId: 'admin' }
  | { kind: 'tenant'; tenantId: string; keyId: string; readOnly: boolean }
  | { kind: 'anonymous' }

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')
const ADMIN = { kind: 'admin', keyId: 'admin' } as const
/** 48 bits of the hash name a key among a tenant's few keys and are no help in guessing it. */
const keyIdOf = (tenantId: string, hash: string) => `${tenantId}/sha256:${hash.slice(0, 12)}`
const hashOf = (key: string) => (key.startsWith('sha256:') ? key.slice(7).toLowerCase() : sha256(key))

/** Keys are held only as SHA-256 hashes, so config may carry either form and memory never holds raw keys twice. */
export class KeyRing {
  private readonly ingest = new Map<string, string>()
  private readonly read = new Map<string, string>()
  private readonly readOnly = new Map<string, string>()
  private readonly adminHash: Buffer | undefined
  private readonly metricsHash: Buffer | undefined

  constructor(tenants: TenantAccess[], adminToken?: string, metricsToken?: string) {
    for (const t of tenants) {
      for (const k of t.ingestKeys) this.ingest.set(hashOf(k), t.id)
      for (const k of t.readKeys) this.read.set(hashOf(k), t.id)
      for (const k of t.readOnlyKeys ?? []) this.readOnly.set(hashOf(k), t.id)
    }
    this.adminHash = adminToken ? Buffer.from(sha256(adminToken), 'hex') : undefined
    this.metricsHash = metricsToken ? Buffer.from(sha256(metricsToken), 'hex') : undefined
  }

  private isAdmin(token: string): boolean {
    return matches(token, this.adminHash)
  }

  /** For /metrics (it names tenants): the admin token or the configured metrics token. */
  mayScrapeMetrics(token: string | undefined): boolean {
    return token !== undefined && (this.isAdmin(token) || matches(token, this.metricsHash))
  }

  /** For OTLP ingest: the admin token or a tenant's ingest key. */
  ingestCaller(token: string | undefined): Caller {
    if (!token) return { kind: 'anonymous' }
    if (this.isAdmin(token)) return ADMIN
    const hash = sha256(token)
    const tenantId = this.ingest.get(hash)
    return tenantId
      ? { kind: 'tenant', tenantId, keyId: keyIdOf(tenantId, hash), readOnly: false }
      : { kind: 'anonymous' }
  }

  /** For the query API: the admin token or a tenant's read key (or read-only key). Ingest keys only write spans (docs/api.md › Keys). */
  readCaller(token: string | undefined): Caller {
    if (!token) return { kind: 'anonymous' }
    if (this.isAdmin(token)) return ADMIN
    const hash = sha256(token)
    const tenantId = this.read.get(hash)
    if (tenantId) return { kind: 'tenant', tenantId, keyId: keyIdOf(tenantId, hash), readOnly: false }
    const viewer = this.readOnly.get(hash)
    return viewer
      ? { kind: 'tenant', tenantId: viewer, keyId: keyIdOf(viewer, hash), readOnly: true }
      : { kind: 'anonymous' }
  }
}

function matches(token: string, hash: Buffer | undefined): boolean {
  return hash !== undefined && timingSafeEqual(Buffer.from(sha256(token), 'hex'), hash)
}

export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header
  if (!value) return undefined
  const m = /^Bearer\s+(.+)$/i.exec(value.trim())
  return m ? m[1]!.trim() : undefined
}

export function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1' || !!address?.startsWith('127.')
}
