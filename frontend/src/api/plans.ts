// Semester plans (安全工作计划) and their monthly items.
import { api, call } from './client'
import type { components } from './schema'

type S = components['schemas']
export type Plan = S['PlanResponse']
export type PlanSummary = S['PlanSummary']
export type Item = S['ItemResponse']
export type ItemBody = S['CreateItemRequest']

const id = (v: string) => ({ params: { path: { id: v } } })

export const listPlans = (query: { semester?: string; status?: string; limit?: number; cursor?: string }) =>
  call(api.GET('/api/v1/plans', { params: { query } }))
export const getPlan = (v: string) => call(api.GET('/api/v1/plans/{id}', id(v)))
export const createPlan = (body: S['CreatePlanRequest']) => call(api.POST('/api/v1/plans', { body }))
export const updatePlan = (v: string, body: S['UpdatePlanRequest']) => call(api.PATCH('/api/v1/plans/{id}', { ...id(v), body }))
export const copyPlan = (v: string, body: S['CopyPlanRequest']) => call(api.POST('/api/v1/plans/{id}/copy', { ...id(v), body }))
export const submitPlan = (v: string) => call(api.POST('/api/v1/plans/{id}/submit', id(v)))
export const approvePlan = (v: string) => call(api.POST('/api/v1/plans/{id}/approve', id(v)))
export const returnPlan = (v: string, comment: string) => call(api.POST('/api/v1/plans/{id}/return', { ...id(v), body: { comment } }))
export type PlanChanges = S['PlanChangesResponse']
/** What changed since the plan's previous submission, from the revisions the server keeps. */
export const getPlanChanges = (v: string) => call(api.GET('/api/v1/plans/{id}/changes', id(v)))
export const addItem = (plan: string, body: ItemBody) => call(api.POST('/api/v1/plans/{id}/items', { ...id(plan), body }))
export const updateItem = (v: string, body: S['UpdateItemRequest']) => call(api.PATCH('/api/v1/plan-items/{id}', { ...id(v), body }))
export const deleteItem = (v: string) => call(api.DELETE('/api/v1/plan-items/{id}', id(v)))
export const addEvidence = (item: string, body: S['AddEvidenceRequest']) => call(api.POST('/api/v1/plan-items/{id}/evidence', { ...id(item), body }))
export const removeEvidence = (item: string, evidence: string) =>
  call(api.DELETE('/api/v1/plan-items/{id}/evidence/{evidence_id}', { params: { path: { id: item, evidence_id: evidence } } }))

/** Accounts to pick from (office and principal only): every active account of the given roles. */
export async function listUsers(role?: S['Role']) {
  const out: S['UserResponse'][] = []
  let cursor: string | undefined
  for (let i = 0; i < 10; i++) {
    const p = await call(api.GET('/api/v1/users', { params: { query: { role, is_active: true, limit: 100, cursor } } }))
    out.push(...p.items)
    cursor = p.next_cursor ?? undefined
    if (!cursor) break
  }
  return out
}
