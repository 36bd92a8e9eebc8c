// The equipment registry (消防器材 and 安防器材): buildings, items, the status board, labels and checks.
import { api, call } from './client'
import type { components, paths } from './schema'

type S = components['schemas']
export type FireBuilding = S['FireBuildingResponse']
export type FireItem = S['FireItemResponse']
export type FireItemDetail = S['FireItemDetail']
export type FireItemRequest = S['FireItemRequest']
export type FireCheck = S['FireCheckResponse']
export type FireCheckRequest = S['FireCheckRequest']
export type FireBoard = S['FireBoardResponse']
export type FireLabel = S['FireLabelResponse']
export type FireKind = S['ItemKind']
export type FireStatus = S['FireStatus']
export type CheckResult = S['CheckResult']
export type EquipmentCategory = S['EquipmentCategory']
export type BoardQuery = NonNullable<paths['/api/v1/fire/board']['get']['parameters']['query']>

/** The kinds of each category, in the order the form lists them (the server's list). */
export const KINDS_OF: Record<EquipmentCategory, FireKind[]> = {
  fire: ['extinguisher', 'hydrant', 'alarm', 'emergency_light', 'exit'],
  security: ['alarm_button', 'camera', 'access_control', 'radio', 'riot_gear'],
}
export const FIRE_KINDS: FireKind[] = [...KINDS_OF.fire, ...KINDS_OF.security]
export const CATEGORIES: EquipmentCategory[] = ['fire', 'security']
export const categoryOf = (k: FireKind): EquipmentCategory => (KINDS_OF.security.includes(k) ? 'security' : 'fire')
export const FIRE_STATUSES = ['expired', 'failed', 'due', 'normal'] as const

const path = (id: string) => ({ params: { path: { id } } })
export const listBuildings = () => call(api.GET('/api/v1/fire/buildings'))
export const createBuilding = (body: S['FireBuildingRequest']) => call(api.POST('/api/v1/fire/buildings', { body }))
export const fireBoard = (query: BoardQuery = {}) => call(api.GET('/api/v1/fire/board', { params: { query } }))
export const fireLabels = (building_id?: string, category?: EquipmentCategory) =>
  call(api.GET('/api/v1/fire/labels', { params: { query: { building_id, category } } }))
export const getFireItem = (id: string) => call(api.GET('/api/v1/fire/items/{id}', path(id)))
export const createFireItem = (body: FireItemRequest) => call(api.POST('/api/v1/fire/items', { body }))
export const updateFireItem = (id: string, body: FireItemRequest) => call(api.PUT('/api/v1/fire/items/{id}', { ...path(id), body }))
export const setFireItemRetired = (id: string, retired: boolean) => call(api.PUT('/api/v1/fire/items/{id}/retired', { ...path(id), body: { retired } }))
export const submitFireCheck = (id: string, body: FireCheckRequest) => call(api.POST('/api/v1/fire/items/{id}/checks', { ...path(id), body }))
