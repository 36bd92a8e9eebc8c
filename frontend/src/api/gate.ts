// Leave passes. Endpoint names from issue 3; kept in one file so that adjusting to the landed
// API is a small change. Switch to the typed client once openapi.json has them.
import { raw, rawText } from './client'

export type PassKind = 'exit_only' | 'exit_and_return'
export type PassStatus = 'issued' | 'out' | 'returned' | 'expired' | 'revoked'

export interface LeavePass {
  id: string
  student_id: string
  student_no?: string
  student_name: string
  class_id: string
  class_name: string
  kind: PassKind
  status: PassStatus
  reason?: string | null
  valid_from: string
  valid_until: string
  return_by?: string | null
  token?: string | null
  overdue?: boolean | null
  issued_at?: string
  exited_at?: string | null
  returned_at?: string | null
}

export interface IssuePass {
  student_id: string
  kind: PassKind
  reason: string
  valid_from?: string | null
  valid_until: string
  return_by?: string | null
}

export const issuePass = (body: IssuePass) => raw<LeavePass>('POST', '/api/v1/leave-passes', body)
export const getPass = (id: string) => raw<LeavePass>('GET', `/api/v1/leave-passes/${encodeURIComponent(id)}`)
export const passQrSvg = (id: string) => rawText(`/api/v1/leave-passes/${encodeURIComponent(id)}/qr.svg`)
export const revokePass = (id: string) => raw<LeavePass>('POST', `/api/v1/leave-passes/${encodeURIComponent(id)}/revoke`, {})

export function listPasses(q: { class_id?: string; status?: string; date?: string; overdue?: boolean; limit?: number }) {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v))
  return raw<{ items: LeavePass[]; next_cursor?: string | null }>('GET', `/api/v1/leave-passes?${p}`)
}

export interface ScanLogEntry {
  id: string
  student_name?: string | null
  class_name?: string | null
  direction: 'exit' | 'return'
  gate: string
  result: 'allow' | 'deny'
  code: string
  conflict: boolean
  source: string
  scanned_at: string
}
export function gateLog(q: { cursor?: string; limit?: number } = {}) {
  const p = new URLSearchParams({ limit: String(q.limit ?? 50) })
  if (q.cursor) p.set('cursor', q.cursor)
  return raw<{ items: ScanLogEntry[]; next_cursor?: string | null }>('GET', `/api/v1/gate/scans?${p}`)
}
