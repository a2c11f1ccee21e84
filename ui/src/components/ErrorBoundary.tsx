import { Component, type ReactNode } from 'react'
import { ErrorState } from './States.tsx'

/** Keeps one broken page (or a failed chunk load) from blanking the whole dashboard. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state: { error: unknown } = { error: null }

  static getDerivedStateFromError(error: unknown) {
    return { error }
  }

  override render() {
    if (this.state.error) return <ErrorState error={this.state.error} what="this page" />
    return this.props.children
  }
}
