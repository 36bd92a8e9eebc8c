// Inspections, hazards and attachments (issue 4), on the typed client: every type here comes
// from the generated schema.
import { api, call } from './client'
import type { components, paths } from './schema'

type S = components['schemas']
export type Answer = S['AnswerInput']['result']
export type TemplateItem = S['TemplateItem']
export type Template = S['TemplateResponse']
export type DueCheck = S['DueCheck']
export type Attachment = S['AttachmentResponse']
export type Hazard = S['HazardResponse']
export type HazardEvent = S['HazardEventResponse']
export type HazardDetail = S['HazardDetail']
export type SubmitInspection = S['CreateSubmissionRequest']
export type ReportHazard = S['ReportHazardRequest']
export type Compliance = S['ComplianceResponse']
export type ComplianceRow = S['ComplianceRow']

export const listTemplates = () => call(api.GET('/api/v1/inspection-templates'))
export const myChecksDue = () => call(api.GET('/api/v1/inspections/due'))
export const submitInspection = (body: SubmitInspection) => call(api.POST('/api/v1/inspections', { body }))

export function uploadAttachment(file: Blob, name = 'photo.jpg') {
  // multipart: the body is serialised to FormData (the browser sets the boundary). The spec's
  // `format: binary` field is typed `string` by openapi-typescript, hence the cast.
  return call(
    api.POST('/api/v1/attachments', {
      body: { file: file as unknown as string },
      bodySerializer: () => {
        const fd = new FormData()
        fd.append('file', file, name)
        return fd
      },
    }),
  )
}

export const HAZARD_CATEGORIES = ['facility', 'fire', 'traffic', 'electrical', 'security', 'food', 'other'] as const

const path = (id: string) => ({ params: { path: { id } } })
export const reportHazard = (body: ReportHazard) => call(api.POST('/api/v1/hazards', { body }))
export const getHazard = (id: string) => call(api.GET('/api/v1/hazards/{id}', path(id)))
export const assignHazard = (id: string, body: S['AssignHazardRequest']) => call(api.POST('/api/v1/hazards/{id}/assign', { ...path(id), body }))
export const rectifyHazard = (id: string, body: S['RectifyHazardRequest']) => call(api.POST('/api/v1/hazards/{id}/rectify', { ...path(id), body }))
export const verifyHazard = (id: string, body: S['VerifyHazardRequest']) => call(api.POST('/api/v1/hazards/{id}/verify', { ...path(id), body }))

export type HazardQuery = NonNullable<paths['/api/v1/hazards']['get']['parameters']['query']>
export const listHazards = (query: HazardQuery = {}) => call(api.GET('/api/v1/hazards', { params: { query } }))

/** Which classes submitted this period's check (default: the weekly traffic check). */
export const compliance = (template_code?: string) =>
  call(api.GET('/api/v1/inspections/compliance', { params: { query: { template_code } } }))
