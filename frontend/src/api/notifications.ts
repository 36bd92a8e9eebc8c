// My notifications (the bell) and the office's escalation settings, on the typed client.
import { api, call } from './client'
import type { components } from './schema'

type S = components['schemas']
export type Notification = S['NotificationResponse']
export type NotificationPage = S['NotificationPage']
export type EscalationSettings = S['EscalationSettings']
export type EscalationSettingsResponse = S['EscalationSettingsResponse']

export const listNotifications = (query: { limit?: number; cursor?: string; unread?: boolean } = {}) =>
  call(api.GET('/api/v1/notifications', { params: { query } }))
export const readNotification = (id: string) =>
  call(api.POST('/api/v1/notifications/{id}/read', { params: { path: { id } } }))
export const readAllNotifications = () => call(api.POST('/api/v1/notifications/read-all', {}))
export const getEscalationSettings = () => call(api.GET('/api/v1/escalation-settings'))
export const updateEscalationSettings = (body: EscalationSettings) =>
  call(api.PUT('/api/v1/escalation-settings', { body }))
