import type { ReactNode } from 'react'
import type { RangePreset } from '../lib/time-range.ts'
import { TimeRangePicker } from './TimeRangePicker.tsx'

export function PageHeader({ title, rangeFallback, children }: { title: string; rangeFallback?: RangePreset; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children}
      <TimeRangePicker fallback={rangeFallback} />
    </div>
  )
}
