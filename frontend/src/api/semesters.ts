// Semesters (学期): defined by the office; the current one (containing today) is every semester
// view's default.
import { api, call } from './client'
import type { components } from './schema'

export type Semester = components['schemas']['SemesterResponse']
export type SemesterRequest = components['schemas']['SemesterRequest']

export const listSemesters = () => call(api.GET('/api/v1/semesters'))
export const createSemester = (body: SemesterRequest) => call(api.POST('/api/v1/semesters', { body }))
export const updateSemester = (id: string, body: components['schemas']['SemesterUpdateRequest']) =>
  call(api.PATCH('/api/v1/semesters/{id}', { params: { path: { id } }, body }))
export const deleteSemester = (id: string) => call(api.DELETE('/api/v1/semesters/{id}', { params: { path: { id } } }))
