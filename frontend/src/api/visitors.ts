// Visitors (来访登记), expected visitors and the watchlist, on the typed client: every type comes
// from the schema generated from openapi.json.
import { api, call } from './client'
import type { components } from './schema'

type S = components['schemas']
export type Visitor = S['VisitorResponse']
export type ExpectedVisitor = S['ExpectedVisitorResponse']
export type CheckIn = S['CheckInRequest']
export type CheckInResult = S['CheckInResponse']
export type WatchlistWarning = S['WatchlistWarning']
export type WatchlistEntry = S['WatchlistResponse']
export type WatchlistCategory = S['WatchlistRequest']['category']
/** What the guard chose for a suspicious person (形迹可疑). */
export type WatchlistDecision = 'refuse' | 'ask_office'
/** A visit's outcome at the gate: only `admitted` is on campus. */
export type VisitStatus = 'admitted' | 'refused' | 'pending'

const path = (id: string) => ({ params: { path: { id } } })

export const onCampus = () =>
  call(api.GET('/api/v1/visitors', { params: { query: { on_campus: true, limit: 200 } } })).then((p) => p.items)
/** Suspicious people a guard referred to the office, waiting at the gate. */
export const pendingVisitors = () =>
  call(api.GET('/api/v1/visitors', { params: { query: { status: 'pending', limit: 200 } } })).then((p) => p.items)
export const flaggedVisitors = () =>
  call(api.GET('/api/v1/visitors', { params: { query: { flagged: true, limit: 100 } } })).then((p) => p.items)
export const expectedToday = (date: string) => call(api.GET('/api/v1/expected-visitors', { params: { query: { date } } }))
export const getVisitor = (id: string) => call(api.GET('/api/v1/visitors/{id}', path(id)))
export const checkIn = (body: CheckIn) => call(api.POST('/api/v1/visitors', { body }))
export const checkInExpected = (id: string, gate: string | null, watchlist_decision?: WatchlistDecision) =>
  call(api.POST('/api/v1/expected-visitors/{id}/check-in', { ...path(id), body: { gate, watchlist_decision } }))
export const checkOut = (id: string) => call(api.POST('/api/v1/visitors/{id}/check-out', path(id)))
export const checkOutAll = () => call(api.POST('/api/v1/visitors/check-out-all'))
/** The security office lets a pending person in, or refuses, with the reason (audited). */
export const decideVisitor = (id: string, admit: boolean, reason: string) =>
  call(api.POST('/api/v1/visitors/{id}/decision', { ...path(id), body: { admit, reason } }))

export const listWatchlist = () => call(api.GET('/api/v1/watchlist'))
export const addWatchlist = (body: S['WatchlistRequest']) => call(api.POST('/api/v1/watchlist', { body }))
export const setWatchlistActive = (id: string, is_active: boolean) =>
  call(api.PATCH('/api/v1/watchlist/{id}', { ...path(id), body: { is_active } }))
