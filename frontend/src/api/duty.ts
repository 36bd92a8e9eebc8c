// Duty rosters (值班表), shifts, swaps (换班) and the personal calendar feed.
import { api, call } from './client'
import type { components } from './schema'
import { localDay } from '../composables/format'

type S = components['schemas']
export type Roster = S['RosterResponse']
export type RosterSummary = S['RosterSummary']
export type Shift = S['ShiftResponse']
export type Conflict = S['Conflict']
export type Swap = S['SwapResponse']
export type PatternSlot = S['PatternSlot']
export type Post = 'leader_on_call' | 'duty_teacher' | 'guard'

const id = (v: string) => ({ params: { path: { id: v } } })

export const listRosters = () => call(api.GET('/api/v1/duty/rosters', {}))
export const getRoster = (v: string) => call(api.GET('/api/v1/duty/rosters/{id}', id(v)))
export const createRoster = (body: S['CreateRosterRequest']) => call(api.POST('/api/v1/duty/rosters', { body }))
export const updateRoster = (v: string, body: S['UpdateRosterRequest']) => call(api.PATCH('/api/v1/duty/rosters/{id}', { ...id(v), body }))
export const deleteRoster = (v: string) => call(api.DELETE('/api/v1/duty/rosters/{id}', id(v)))
export const generateShifts = (v: string, body: S['GenerateRequest']) => call(api.POST('/api/v1/duty/rosters/{id}/generate', { ...id(v), body }))
export const addShift = (v: string, body: S['CreateShiftRequest']) => call(api.POST('/api/v1/duty/rosters/{id}/shifts', { ...id(v), body }))
export const removeShift = (v: string) => call(api.DELETE('/api/v1/duty/shifts/{id}', id(v)))
export const rosterConflicts = (v: string) => call(api.GET('/api/v1/duty/rosters/{id}/conflicts', id(v)))
export const publishRoster = (v: string) => call(api.POST('/api/v1/duty/rosters/{id}/publish', id(v)))
export const onDutyNow = () => call(api.GET('/api/v1/duty/now'))
/** Am I on a published roster today, and which of my shifts runs now. */
export const myDuty = () => call(api.GET('/api/v1/duty/me'))
/** My upcoming shifts: holiday rosters are often published months ahead, so look two years on. */
export const myShifts = () => {
  const from = localDay()
  const to = localDay(new Date(Date.now() + 730 * 86400000))
  return call(api.GET('/api/v1/duty/my-shifts', { params: { query: { from, to } } }))
}
export const listSwaps = (query: { roster_id?: string; status?: string } = {}) => call(api.GET('/api/v1/duty/swaps', { params: { query } }))
export const askSwap = (shift: string, body: S['RequestSwapRequest']) => call(api.POST('/api/v1/duty/shifts/{id}/swaps', { ...id(shift), body }))

export type SwapAction = 'accept' | 'decline' | 'cancel' | 'approve' | 'reject'
export function decideSwap(action: SwapAction, swap: string, comment?: string) {
  const o = { ...id(swap), body: { comment: comment || null } }
  switch (action) {
    case 'accept':
      return call(api.POST('/api/v1/duty/swaps/{id}/accept', o))
    case 'decline':
      return call(api.POST('/api/v1/duty/swaps/{id}/decline', o))
    case 'cancel':
      return call(api.POST('/api/v1/duty/swaps/{id}/cancel', o))
    case 'approve':
      return call(api.POST('/api/v1/duty/swaps/{id}/approve', o))
    case 'reject':
      return call(api.POST('/api/v1/duty/swaps/{id}/reject', o))
  }
}

export const feedStatus = () => call(api.GET('/api/v1/duty/calendar-feed'))
export const renewFeed = () => call(api.POST('/api/v1/duty/calendar-feed'))
export const revokeFeed = () => call(api.DELETE('/api/v1/duty/calendar-feed'))

/** Active staff (id, name, role) any staff member may look up: a swap partner from another roster. */
export async function listColleagues(query: { q?: string; role?: S['Role'] } = {}) {
  const out: S['Colleague'][] = []
  let cursor: string | undefined
  for (let i = 0; i < 10; i++) {
    const p = await call(api.GET('/api/v1/colleagues', { params: { query: { ...query, limit: 200, cursor } } }))
    out.push(...p.items)
    cursor = p.next_cursor ?? undefined
    if (!cursor) break
  }
  return out
}
