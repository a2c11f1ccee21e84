import { useState, type FormEvent } from 'react'
import { CollectorApiError } from '../api/client.ts'
import { makeClient, useAuth } from '../app/auth.tsx'
import { REJECTED_KEY_MESSAGE } from '../app/query-client.ts'

/** Sign in with the admin token (all tenants) or a tenant read key; the key is checked before it is kept. */
export function LoginPage() {
  const { message, signIn } = useAuth()
  const [token, setToken] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [checking, setChecking] = useState(false)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const key = token.trim()
    if (!key) return setError('Enter a key.')
    setChecking(true)
    setError(null)
    try {
      await makeClient(key).tenants()
      signIn(key)
    } catch (err) {
      setError(err instanceof CollectorApiError && err.status === 401 ? REJECTED_KEY_MESSAGE : (err as Error).message)
    } finally {
      setChecking(false)
    }
  }

  const shown = error ?? message
  return (
    <div className="login">
      <form onSubmit={submit} aria-label="Sign in">
        <h1>Loopgate</h1>
        <p className="muted">Sign in with the admin token or a tenant read key.</p>
        {shown ? (
          <p className="state state-error" role="alert">
            {shown}
          </p>
        ) : null}
        <label>
          Key
          <input
            type="password"
            name="token"
            autoComplete="off"
            autoFocus
            value={token}
            onChange={(e) => setToken(e.target.value)}
          />
        </label>
        <button type="submit" disabled={checking}>
          {checking ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </div>
  )
}
