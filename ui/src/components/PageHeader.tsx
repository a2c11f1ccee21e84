import type { ReactNode } from 'react'
import { TimeRangePicker } from './TimeRangePicker.tsx'

/** Every page shares one default range (DEFAULT_RANGE) so moving between pages keeps what is shown comparable. */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children}
      <TimeRangePicker />
    </div>
  )
}
