// 报送 through a channel: send a roster or a plan item to a subscribed channel (校办, 校医,
// 教育局保卫科, 教师群 …), list what was sent with each delivery's status, resend a failed one.
import { api, call } from './client'
import type { components } from './schema'

type S = components['schemas']
export type Report = S['ReportResponse']
export type ReportStatus = S['ReportStatus']
export type ReportSubject = 'roster' | 'plan_item'

const id = (v: string) => ({ params: { path: { id: v } } })

export function listReports(subject: ReportSubject, v: string) {
  return subject === 'roster'
    ? call(api.GET('/api/v1/duty/rosters/{id}/reports', id(v)))
    : call(api.GET('/api/v1/plan-items/{id}/reports', id(v)))
}

export function sendReport(subject: ReportSubject, v: string, subscriptionId: string) {
  const o = { ...id(v), body: { subscription_id: subscriptionId } }
  return subject === 'roster'
    ? call(api.POST('/api/v1/duty/rosters/{id}/reports', o))
    : call(api.POST('/api/v1/plan-items/{id}/reports', o))
}

/** Channels to pick from: the enabled ones. */
export async function reportChannels() {
  return (await call(api.GET('/api/v1/subscriptions'))).filter((s) => s.enabled)
}

/** Sends the report's delivery again now (the same message id). */
export const resendReport = (r: Report) => call(api.POST('/api/v1/deliveries/{id}/resend', id(r.delivery_id)))
