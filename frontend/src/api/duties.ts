// Leadership and duties, the rules library, guard training and what waits for my signature,
// on the typed client.
import { api, call } from './client'
import type { components } from './schema'

type S = components['schemas']
export type Leadership = S['LeadershipResponse']
export type Member = S['MemberResponse']
export type MemberRequest = S['MemberRequest']
export type Statement = S['StatementResponse']
export type StatementRequest = S['StatementRequest']
export type Letter = S['LetterResponse']
export type LetterRequest = S['LetterRequest']
export type Tally = S['Tally']
export type RuleSummary = S['RuleSummary']
export type RuleDetail = S['RuleDetail']
export type RuleRequest = S['RuleRequest']
export type RuleVersionRequest = S['RuleVersionRequest']
export type RuleCategory = S['RuleCategory']
export type Training = S['TrainingResponse']
export type TrainingDetail = S['TrainingDetail']
export type TrainingRequest = S['TrainingRequest']
export type TrainingKind = S['TrainingKind']
export type GroupRole = S['GroupRole']
export type Waiting = S['WaitingResponse']
export type AckSubject = S['AckSubject']

const path = (id: string) => ({ params: { path: { id } } })

export const getLeadership = () => call(api.GET('/api/v1/leadership'))
export const addMember = (body: MemberRequest) => call(api.POST('/api/v1/leadership/members', { body }))
export const removeMember = (id: string) => call(api.DELETE('/api/v1/leadership/members/{id}', path(id)))
export const createStatement = (body: StatementRequest) => call(api.POST('/api/v1/duty-statements', { body }))
export const updateStatement = (id: string, body: StatementRequest) => call(api.PUT('/api/v1/duty-statements/{id}', { ...path(id), body }))
export const deleteStatement = (id: string) => call(api.DELETE('/api/v1/duty-statements/{id}', path(id)))

export const listLetters = (semester?: string) => call(api.GET('/api/v1/responsibility-letters', { params: { query: { semester } } }))
export const createLetter = (body: LetterRequest) => call(api.POST('/api/v1/responsibility-letters', { body }))
export const letterSignatures = (id: string) => call(api.GET('/api/v1/responsibility-letters/{id}/signatures', path(id)))
export const signLetter = (id: string) => call(api.POST('/api/v1/responsibility-letters/{id}/sign', path(id)))

export const listRules = (category?: RuleCategory) => call(api.GET('/api/v1/safety-rules', { params: { query: { category } } }))
export const getRule = (id: string) => call(api.GET('/api/v1/safety-rules/{id}', path(id)))
export const createRule = (body: RuleRequest) => call(api.POST('/api/v1/safety-rules', { body }))
export const addRuleVersion = (id: string, body: RuleVersionRequest) => call(api.POST('/api/v1/safety-rules/{id}/versions', { ...path(id), body }))
export const confirmRuleVersion = (id: string) => call(api.POST('/api/v1/safety-rule-versions/{id}/confirm', path(id)))
export const ruleConfirmations = (id: string) => call(api.GET('/api/v1/safety-rule-versions/{id}/confirmations', path(id)))

export const listTrainings = () => call(api.GET('/api/v1/guard-trainings', { params: { query: {} } }))
export const getTraining = (id: string) => call(api.GET('/api/v1/guard-trainings/{id}', path(id)))
export const createTraining = (body: TrainingRequest) => call(api.POST('/api/v1/guard-trainings', { body }))
export const signTraining = (id: string) => call(api.POST('/api/v1/guard-trainings/{id}/sign', path(id)))

export const myAcknowledgements = () => call(api.GET('/api/v1/me/acknowledgements'))

/** Signs whatever a waiting item is: a letter, a rule version, a training. */
export function acknowledge(w: Pick<Waiting, 'kind' | 'id'>) {
  if (w.kind === 'letter') return signLetter(w.id)
  if (w.kind === 'rule_version') return confirmRuleVersion(w.id)
  return signTraining(w.id)
}

/** Uploads a rule's PDF (the office, the principal); its id goes into a new version's `pdf_id`. */
export function uploadRulePdf(file: Blob, name = 'rule.pdf') {
  // multipart, as the photo upload: the spec's `format: binary` field is typed `string`.
  return call(
    api.POST('/api/v1/attachments/pdf', {
      body: { file: file as unknown as string },
      bodySerializer: () => {
        const fd = new FormData()
        fd.append('file', file, name)
        return fd
      },
    }),
  )
}

/** A rule version's PDF as a blob (the bearer token cannot ride on a plain link). */
export const ruleVersionPdf = (versionId: string) =>
  call(api.GET('/api/v1/safety-rule-versions/{id}/pdf', { ...path(versionId), parseAs: 'blob' }))
