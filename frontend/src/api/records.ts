// Records of the school's safety work: activities and drills, meetings, announcements (通报) with
// read receipts, and the figures around hazards. Every type comes from the generated schema.
import { api, call } from './client'
import type { components } from './schema'

type S = components['schemas']
export type Activity = S['ActivityResponse']
export type ActivityBody = S['ActivityRequest']
export type Meeting = S['MeetingResponse']
export type MeetingBody = S['MeetingRequest']
export type Announcement = S['AnnouncementResponse']
export type Receipts = S['ReceiptsResponse']
export type Role = S['Role']
export type SchoolClass = S['ClassResponse']
export type HazardStats = S['HazardStats']

const id = (v: string) => ({ params: { path: { id: v } } })
type Range = { from?: string; to?: string; kind?: string }

export const listActivities = (query: Range) => call(api.GET('/api/v1/activities', { params: { query } }))
export const getActivity = (v: string) => call(api.GET('/api/v1/activities/{id}', id(v)))
export const createActivity = (body: ActivityBody) => call(api.POST('/api/v1/activities', { body }))
export const updateActivity = (v: string, body: ActivityBody) => call(api.PATCH('/api/v1/activities/{id}', { ...id(v), body }))

export const listMeetings = (query: Range) => call(api.GET('/api/v1/meetings', { params: { query } }))
export const getMeeting = (v: string) => call(api.GET('/api/v1/meetings/{id}', id(v)))
export const createMeeting = (body: MeetingBody) => call(api.POST('/api/v1/meetings', { body }))
export const updateMeeting = (v: string, body: MeetingBody) => call(api.PATCH('/api/v1/meetings/{id}', { ...id(v), body }))

export const listAnnouncements = (unread?: boolean) => call(api.GET('/api/v1/announcements', { params: { query: { unread } } }))
export const createAnnouncement = (body: S['CreateAnnouncementRequest']) => call(api.POST('/api/v1/announcements', { body }))
export const markRead = (v: string) => call(api.POST('/api/v1/announcements/{id}/read', id(v)))
export const receipts = (v: string) => call(api.GET('/api/v1/announcements/{id}/receipts', id(v)))

export const listClasses = () => call(api.GET('/api/v1/classes'))

export const hazardStats = (year?: number) => call(api.GET('/api/v1/hazards/stats', { params: { query: { year } } }))
export const overdueHazards = () => call(api.GET('/api/v1/hazards/overdue'))

export const createExpected = (body: S['ExpectedVisitorRequest']) => call(api.POST('/api/v1/expected-visitors', { body }))
export const updateBuilding = (v: string, body: S['FireBuildingRequest']) => call(api.PUT('/api/v1/fire/buildings/{id}', { ...id(v), body }))

/** The ledger as a printable page: fetched with the token, shown from a local copy. */
export const ledgerHtml = (semester?: string) =>
  call(api.GET('/api/v1/ledger/html', { params: { query: { semester } }, parseAs: 'text' }))
