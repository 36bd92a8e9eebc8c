// Inspections, hazards and attachments. Endpoint names from issue 4; kept in one file so that
// adjusting to the landed API is a small change.
import { raw } from './client'

export type Answer = 'pass' | 'fail' | 'na'

export interface TemplateItem {
  id: string
  text: string
  text_en?: string | null
  photo_required_on_fail?: boolean | null
}
export interface Template {
  id: string
  name: string
  category: string
  items: TemplateItem[]
}
export interface Attachment {
  id: string
  thumbnail_url?: string | null
  url?: string | null
}
export interface Hazard {
  id: string
  status: string
  location?: string | null
  description: string
  category?: string | null
  created_at?: string
  deadline?: string | null
  owner_name?: string | null
  class_name?: string | null
  reporter_name?: string | null
}

export function listTemplates(category?: string) {
  const q = category ? `?category=${encodeURIComponent(category)}` : ''
  return raw<Template[] | { items: Template[] }>('GET', `/api/v1/inspection-templates${q}`).then((r) => (Array.isArray(r) ? r : r.items))
}

export interface SubmitInspection {
  template_id: string
  class_id?: string | null
  period?: string | null
  answers: { item_id: string; result: Answer; note?: string | null; attachment_ids?: string[] }[]
  note?: string | null
}
export const submitInspection = (body: SubmitInspection) => raw<{ id: string }>('POST', '/api/v1/inspections', body)

export function uploadAttachment(file: Blob, name = 'photo.jpg') {
  const fd = new FormData()
  fd.append('file', file, name)
  return raw<Attachment>('POST', '/api/v1/attachments', fd)
}

export interface ReportHazard {
  location: string
  description: string
  category?: string | null
  attachment_ids?: string[]
}
export const reportHazard = (body: ReportHazard) => raw<Hazard>('POST', '/api/v1/hazards', body)

export function listHazards(q: Record<string, string | number | undefined> = {}) {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v))
  return raw<{ items: Hazard[]; next_cursor?: string | null }>('GET', `/api/v1/hazards?${p}`)
}
