import { QueryClientProvider } from '@tanstack/react-query'
import { useEffect, useMemo } from 'react'
import { LoginPage } from '../pages/LoginPage.tsx'
import { useAuth } from './auth.tsx'
import { createQueryClient } from './query-client.ts'
import { Shell } from './Shell.tsx'

export function App() {
  const { token, signOut } = useAuth()
  const queryClient = useMemo(() => createQueryClient(signOut), [signOut])
  // A new key sees nothing cached for the previous one.
  useEffect(() => () => queryClient.clear(), [queryClient, token])
  if (!token) return <LoginPage />
  return (
    <QueryClientProvider client={queryClient}>
      <Shell />
    </QueryClientProvider>
  )
}
