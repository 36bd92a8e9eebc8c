// Inspections, hazards and attachments (issue 4). Kept in one file so that moving to the typed
// client once openapi.json has them is a small change.
import { raw } from './client'

export type Answer = 'pass' | 'fail' | 'na'

export interface TemplateItem {
  key: string
  text: string
  text_en?: string | null
  weight?: number
  photo_required_on_fail: boolean
}
export interface Template {
  id: string
  code: string
  name: string
  name_en?: string | null
  category: string
  target_kind: string
  submitter_role: string
  frequency: string
  is_current?: boolean
  is_active?: boolean
  items: TemplateItem[]
}
export interface DueCheck {
  template_id: string
  template_code: string
  template_name: string
  frequency: string
  period: string
  class_id?: string | null
  class_name?: string | null
  due_at: string
  status: 'due' | 'overdue' | 'submitted' | string
  submission_id?: string | null
}
export interface Attachment {
  id: string
  url: string
  thumbnail_url: string
}
export interface Hazard {
  id: string
  category: string
  location: string
  description: string
  class_id?: string | null
  class_name?: string | null
  source: string
  photo_ids: string[]
  status: 'reported' | 'assigned' | 'rectified' | 'closed' | string
  reported_by_name: string
  reported_at: string
  owner_id?: string | null
  owner_name?: string | null
  deadline?: string | null
  is_overdue: boolean
  rectification?: string | null
}
export interface HazardEvent {
  id: string
  at: string
  actor_name: string
  action: string
  from_status?: string | null
  to_status: string
  note?: string | null
}
export interface HazardDetail {
  hazard: Hazard
  history: HazardEvent[]
}

export const listTemplates = () => raw<Template[]>('GET', '/api/v1/inspection-templates')
export const myChecksDue = () => raw<DueCheck[]>('GET', '/api/v1/inspections/due')

export interface SubmitInspection {
  template_id: string
  class_id?: string | null
  period?: string | null
  /** Items not listed in `answers` count as passed. */
  all_passed: boolean
  answers: { item_key: string; result: Answer; note?: string | null; attachment_ids?: string[] }[]
  note?: string | null
}
export const submitInspection = (body: SubmitInspection) => raw<{ id: string; hazard_ids?: string[] }>('POST', '/api/v1/inspections', body)

export function uploadAttachment(file: Blob, name = 'photo.jpg') {
  const fd = new FormData()
  fd.append('file', file, name)
  return raw<Attachment>('POST', '/api/v1/attachments', fd)
}

export const HAZARD_CATEGORIES = ['facility', 'fire', 'traffic', 'electrical', 'security', 'food', 'other'] as const

export interface ReportHazard {
  category: string
  location: string
  description: string
  class_id?: string | null
  attachment_ids: string[]
}
export const reportHazard = (body: ReportHazard) => raw<Hazard>('POST', '/api/v1/hazards', body)
export const getHazard = (id: string) => raw<HazardDetail>('GET', `/api/v1/hazards/${encodeURIComponent(id)}`)
export const assignHazard = (id: string, body: { owner_id: string; deadline: string; note?: string | null }) =>
  raw<HazardDetail>('POST', `/api/v1/hazards/${encodeURIComponent(id)}/assign`, body)
export const rectifyHazard = (id: string, body: { rectification: string; attachment_ids: string[] }) =>
  raw<HazardDetail>('POST', `/api/v1/hazards/${encodeURIComponent(id)}/rectify`, body)
export const verifyHazard = (id: string, body: { approved: boolean; note?: string | null; deadline?: string | null }) =>
  raw<HazardDetail>('POST', `/api/v1/hazards/${encodeURIComponent(id)}/verify`, body)

export function listHazards(q: Record<string, string | number | boolean | undefined> = {}) {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v))
  return raw<{ items: Hazard[]; next_cursor?: string | null }>('GET', `/api/v1/hazards?${p}`)
}

export interface ComplianceRow {
  class_id?: string | null
  class_name?: string | null
  location?: string | null
  /** `submitted` (on time), `late` or `missing` */
  status: string
  submission_id?: string | null
  submitted_at?: string | null
  score?: number | null
}
export interface Compliance {
  template_code: string
  template_name: string
  period: string
  due_at: string
  submitted: number
  late: number
  missing: number
  rows: ComplianceRow[]
}
/** Which classes submitted this period's check (default: the weekly traffic check). */
export const compliance = (templateCode?: string) =>
  raw<Compliance>('GET', `/api/v1/inspections/compliance${templateCode ? `?template_code=${encodeURIComponent(templateCode)}` : ''}`)
