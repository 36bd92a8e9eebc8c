// Visitors (来访登记). Endpoint names from issue 3; one file so that the landed API is a small change.
import { raw } from './client'

export interface Visitor {
  id: string
  name: string
  phone?: string | null
  id_number_masked?: string | null
  organisation?: string | null
  reason: string
  host?: string | null
  vehicle_plate?: string | null
  gate?: string | null
  watchlist_entry_id?: string | null
  checked_in_at: string
  checked_out_at?: string | null
}
export interface ExpectedVisitor {
  id: string
  name: string
  organisation?: string | null
  reason: string
  host: string
  vehicle_plate?: string | null
  visitor_id?: string | null
}
export interface CheckIn {
  name: string
  phone?: string | null
  id_number?: string | null
  organisation?: string | null
  reason: string
  host?: string | null
  vehicle_plate?: string | null
  gate?: string | null
}
/** A watchlist match comes back with the check-in: the guard must not miss it. */
export interface WatchlistWarning {
  entry_id: string
  /** `suspicious` (形迹可疑) or `banned` (禁止入校) */
  category: string
  name: string
  note: string
  matched_on: string
}
export interface CheckInResult {
  visitor: Visitor
  warning?: WatchlistWarning | null
}

type Page<T> = { items: T[]; next_cursor?: string | null }
const items = <T>(r: T[] | Page<T>) => (Array.isArray(r) ? r : r.items)

export const onCampus = () => raw<Visitor[] | Page<Visitor>>('GET', '/api/v1/visitors?on_campus=true&limit=200').then(items)
export const expectedToday = (date: string) => raw<ExpectedVisitor[] | Page<ExpectedVisitor>>('GET', `/api/v1/expected-visitors?date=${date}`).then(items)
export const checkIn = (body: CheckIn) => raw<CheckInResult>('POST', '/api/v1/visitors', body)
export const checkInExpected = (id: string, gate: string | null) =>
  raw<CheckInResult>('POST', `/api/v1/expected-visitors/${encodeURIComponent(id)}/check-in`, { gate })
export const checkOut = (id: string) => raw<Visitor>('POST', `/api/v1/visitors/${encodeURIComponent(id)}/check-out`, {})


export interface WatchlistEntry {
  id: string
  name: string
  id_number_masked?: string | null
  phone?: string | null
  category: string
  note: string
  is_active: boolean
}
export const flaggedVisitors = () => raw<Page<Visitor>>('GET', '/api/v1/visitors?flagged=true&limit=100').then(items)
export const checkOutAll = () => raw<unknown>('POST', '/api/v1/visitors/check-out-all', {})
export const listWatchlist = () => raw<WatchlistEntry[] | Page<WatchlistEntry>>('GET', '/api/v1/watchlist').then(items)
export const addWatchlist = (body: { name: string; id_number?: string | null; phone?: string | null; category: string; note: string }) =>
  raw<WatchlistEntry>('POST', '/api/v1/watchlist', body)
export const setWatchlistActive = (id: string, is_active: boolean) =>
  raw<WatchlistEntry>('PATCH', `/api/v1/watchlist/${encodeURIComponent(id)}`, { is_active })
