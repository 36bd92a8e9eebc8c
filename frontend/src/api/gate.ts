// Leave passes and the gate log (issue 3), on the typed client: types come from the schema.
import { api, call } from './client'
import type { components, paths } from './schema'

type PassListQuery = NonNullable<paths['/api/v1/leave-passes']['get']['parameters']['query']>

type S = components['schemas']
export type PassKind = 'exit_only' | 'exit_and_return'
export type PassStatus = 'issued' | 'out' | 'returned' | 'expired' | 'revoked'
export type LeavePass = S['PassResponse']
export type IssuePass = S['IssuePassRequest']
export type ScanLogEntry = S['ScanLogEntry']

const path = (id: string) => ({ params: { path: { id } } })
export const issuePass = (body: IssuePass) => call(api.POST('/api/v1/leave-passes', { body }))
export const getPass = (id: string) => call(api.GET('/api/v1/leave-passes/{id}', path(id)))
/** The QR as an SVG document (fetched with the token, shown inline). */
export const passQrSvg = (id: string) => call(api.GET('/api/v1/leave-passes/{id}/qr.svg', { ...path(id), parseAs: 'text' }))
export const revokePass = (id: string) => call(api.POST('/api/v1/leave-passes/{id}/revoke', path(id)))

export const listPasses = (query: { class_id?: string; status?: PassListQuery['status']; date?: string; overdue?: boolean; limit?: number }) =>
  call(api.GET('/api/v1/leave-passes', { params: { query } }))

/** The gate log; `source: 'batch'` = scans decided offline on a phone, `conflict` = the same pass let out twice. */
export const gateLog = (q: { cursor?: string; limit?: number; source?: 'online' | 'batch'; conflict?: boolean } = {}) =>
  call(api.GET('/api/v1/gate/scans', { params: { query: { limit: q.limit ?? 50, cursor: q.cursor, source: q.source, conflict: q.conflict } } }))

/** Today's passes by student name or 学号, for the guard (name, class, status only). */
export const searchGatePasses = (q: string) => call(api.GET('/api/v1/gate/passes', { params: { query: { q } } }))
