import { createHash } from 'node:crypto'

/**
 * Masks secrets in text the gateway did not write itself (an upstream's error message, a connection
 * error) before it reaches a client, a span or an admin page (DESIGN rule 8). Three nets:
 * - the exact secrets the gateway holds (provider keys, auth header values, admin/export tokens);
 * - every token-like word whose SHA-256 is a configured virtual key (the gateway keeps only hashes);
 * - the shapes of well-known keys (OpenAI/Anthropic `sk-…`, AWS `AKIA…`, Google `AIza…`, GitHub,
 *   Slack, JWTs), bearer tokens, and values after words like key, token, secret or password.
 */
export const MASK = '[redacted]'

/** Longest text masked; an upstream message longer than this is cut (masking cost stays bounded). */
const MAX_MASKED_TEXT = 4096

/** Secrets shorter than this are not matched exactly (too likely to be ordinary words). */
const MIN_EXACT = 8

const SHAPES: RegExp[] = [
  // OpenAI / Anthropic / OpenRouter-style keys: sk-…, sk-proj-…, sk-ant-api03-…, sk-or-v1-…
  /\bsk-[A-Za-z0-9_-]{8,}/g,
  // AWS access key ids
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  // Google API keys
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  // GitHub tokens, Slack tokens, Hugging Face tokens
  /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|hf_[A-Za-z0-9]{20,})/g,
  // JSON Web Tokens (header.payload.signature)
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
]

/** `Bearer xyz`, `Basic xyz` → the scheme stays, the credential goes. */
const SCHEME = /\b(bearer|basic)(\s+)([^\s"',;]{4,})/gi

/** A value that looks like a credential rather than a word: a digit in 8+ characters, or 20+ characters. */
const secretLike = (v: string) => v.length >= 20 || (v.length >= 8 && /\d/.test(v))

/** `api_key: xyz`, `"x-api-key":"xyz"`, `token=xyz`, `password xyz`… → the name stays, the value goes. */
const NAMED =
  /\b((?:x-)?api[-_]?key|(?:access[-_]?|auth[-_]?|refresh[-_]?|session[-_]?)?token|secret|password|passwd|authorization|key)(["']?\s*[:=]\s*["']?|\s+)([^\s"',;&)}\]]{6,})/gi

/** Words that may be a virtual key: long runs without spaces or quotes. */
const WORD = /[A-Za-z0-9_\-.~+/=:]{8,}/g

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

export interface SecretSources {
  /** Secrets known in clear: provider keys, auth header values, tokens. */
  exact: Iterable<string | undefined>
  /** SHA-256 (hex) of every virtual key; a word hashing to one of them is masked. */
  hashes: Iterable<string>
}

export class SecretMasker {
  private readonly exact: string[]
  private readonly hashes: Set<string>

  constructor(sources: SecretSources) {
    const exact = new Set<string>()
    for (const s of sources.exact) if (s && s.length >= MIN_EXACT) exact.add(s)
    // Longest first, so a key that contains another is masked whole.
    this.exact = [...exact].sort((a, b) => b.length - a.length)
    this.hashes = new Set([...sources.hashes].map((h) => h.toLowerCase()))
  }

  /** Virtual keys created at run time (admin API): their hashes join the net. */
  addHashes(hashes: Iterable<string>): void {
    for (const h of hashes) this.hashes.add(h.toLowerCase())
  }

  mask(text: string): string {
    let t = text.length > MAX_MASKED_TEXT ? `${text.slice(0, MAX_MASKED_TEXT)}…` : text
    for (const s of this.exact) if (t.includes(s)) t = t.split(s).join(MASK)
    if (this.hashes.size > 0) t = t.replace(WORD, (w) => (this.isVirtualKey(w) ? MASK : w))
    for (const re of SHAPES) t = t.replace(re, MASK)
    t = t.replace(SCHEME, (m, scheme: string, space: string, value: string) =>
      value.startsWith(MASK) || (scheme.toLowerCase() === 'basic' && !secretLike(value))
        ? m
        : `${scheme}${space}${MASK}`,
    )
    t = t.replace(NAMED, (m, name: string, sep: string, value: string) =>
      value.startsWith(MASK) || !secretLike(value) ? m : `${name}${sep}${MASK}`,
    )
    return t
  }

  private isVirtualKey(word: string): boolean {
    if (this.hashes.has(sha256(word))) return true
    // A key glued to punctuation that the word pattern allows ("key.", "key:"): try without it.
    const trimmed = word.replace(/^[.:/=+~]+|[.:/=+~]+$/g, '')
    return trimmed !== word && trimmed.length >= MIN_EXACT && this.hashes.has(sha256(trimmed))
  }
}

/** Header values that carry credentials. */
const AUTH_HEADER = /^(authorization|proxy-authorization|x-api-key|api-key|x-goog-api-key)$|token|secret|key/i

/** The secrets a gateway holds in clear, from its providers' headers and its own tokens. */
export function clearSecrets(
  providerHeaders: Iterable<Record<string, string>>,
  tokens: (string | undefined)[],
): string[] {
  const out: string[] = []
  for (const headers of providerHeaders) {
    for (const [name, value] of Object.entries(headers)) {
      if (!AUTH_HEADER.test(name)) continue
      out.push(value)
      const scheme = /^(?:bearer|basic)\s+(.+)$/i.exec(value)
      if (scheme) out.push(scheme[1]!)
    }
  }
  return [...out, ...tokens.filter((t): t is string => Boolean(t))]
}

/** SHA-256 of every configured virtual key (config holds the raw key or `sha256:<hex>`). */
export function virtualKeyHashes(tenants: { keys: { key: string }[] }[]): string[] {
  return tenants.flatMap((t) =>
    t.keys.map((k) => (k.key.startsWith('sha256:') ? k.key.slice(7).toLowerCase() : sha256(k.key))),
  )
}
