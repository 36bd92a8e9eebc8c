// What waits for the signed-in person (GET /api/v1/me/todo), on the typed client.
import { api, call } from './client'
import type { components } from './schema'

type S = components['schemas']
export type Todo = S['TodoResponse']
export type TodoGroup = S['TodoGroup']
export type TodoItem = S['TodoItem']
export type TodoCategory = S['TodoCategory']

export const myTodo = () => call(api.GET('/api/v1/me/todo'))
