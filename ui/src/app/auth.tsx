import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react'
import { CollectorClient } from '../api/client.ts'

// The token lives in sessionStorage: it survives reloads of this tab, not the browser session.
const TOKEN_KEY = 'loopgate.token'
const MESSAGE_KEY = 'loopgate.signout-message'

interface AuthState {
  token: string | null
  client: CollectorClient | null
  /** Why the user was signed out (wrong or expired key), shown on the login page. */
  message: string | null
  signIn(token: string): void
  signOut(message?: string): void
}

const AuthContext = createContext<AuthState | null>(null)

export const makeClient = (token: string) => new CollectorClient({ baseUrl: '', token })

export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(TOKEN_KEY))
  const [message, setMessage] = useState<string | null>(() => sessionStorage.getItem(MESSAGE_KEY))

  const signIn = useCallback((next: string) => {
    sessionStorage.setItem(TOKEN_KEY, next)
    sessionStorage.removeItem(MESSAGE_KEY)
    setMessage(null)
    setToken(next)
  }, [])

  const signOut = useCallback((reason?: string) => {
    sessionStorage.removeItem(TOKEN_KEY)
    if (reason) sessionStorage.setItem(MESSAGE_KEY, reason)
    else sessionStorage.removeItem(MESSAGE_KEY)
    setMessage(reason ?? null)
    setToken(null)
  }, [])

  const value = useMemo<AuthState>(
    () => ({ token, client: token ? makeClient(token) : null, message, signIn, signOut }),
    [token, message, signIn, signOut],
  )
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext)
  if (!state) throw new Error('useAuth outside AuthProvider')
  return state
}

/** The signed-in client; pages render only inside the signed-in shell. */
export function useClient(): CollectorClient {
  const { client } = useAuth()
  if (!client) throw new Error('useClient without a signed-in token')
  return client
}
