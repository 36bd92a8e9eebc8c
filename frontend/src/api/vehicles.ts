// Vehicles (车辆): the staff register, the gate's vehicle log and the student rush windows.
import { api, call } from './client'
import type { components } from './schema'

type S = components['schemas']
export type Vehicle = S['VehicleResponse']
export type VehicleKind = Vehicle['kind']
export type Passage = S['PassageResponse']
export type RushWindows = S['RushWindowsResponse']
export type RushReport = S['RushReport']

export const listVehicles = (q?: string, includeInactive = false) =>
  call(api.GET('/api/v1/vehicles', { params: { query: { q: q || undefined, include_inactive: includeInactive || undefined } } }))
export const createVehicle = (body: S['VehicleRequest']) => call(api.POST('/api/v1/vehicles', { body }))
export const updateVehicle = (id: string, body: S['VehicleUpdateRequest']) =>
  call(api.PATCH('/api/v1/vehicles/{id}', { params: { path: { id } }, body }))
export const recordPassage = (body: S['PassageRequest']) => call(api.POST('/api/v1/vehicle-passages', { body }))
export const listPassages = (date?: string, rush?: boolean) =>
  call(api.GET('/api/v1/vehicle-passages', { params: { query: { date: date || undefined, rush: rush || undefined } } }))
export const rushByOwner = (from?: string, to?: string) =>
  call(api.GET('/api/v1/vehicle-passages/rush-by-owner', { params: { query: { from: from || undefined, to: to || undefined } } }))
export const getRushWindows = () => call(api.GET('/api/v1/vehicle-settings'))
export const setRushWindows = (body: S['RushWindowsRequest']) => call(api.PUT('/api/v1/vehicle-settings', { body }))

/** The same normalisation the server applies, so the guard sees the plate as it is stored. */
export function normalisePlate(s: string): string {
  return s
    .replace(/[\s·•・.。\-_—‧]/g, '')
    .replace(/[０-９Ａ-Ｚａ-ｚ]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .toUpperCase()
}
