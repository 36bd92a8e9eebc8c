// What waits for the signed-in person, shared by the tab badge and the to-do cards. Fetched
// again when a page opens (the person may just have done the work) and when the app comes back
// to the front after a while: no polling. Loading and offline go through useLoad, so the badge
// never shows a false zero (no badge while the first answer is on its way; offline, the last
// figures this phone saw).
import { computed } from 'vue'
import { myTodo, type Todo } from '../api/todo'
import { features } from '../features'
import { getSession } from '../api/tokens'
import { useLoad, type LoadState } from './useLoad'

/** Coming back to the front refetches only when the figures are older than this. */
export const FOCUS_GAP_MS = 30_000

let current: { userId: string; state: LoadState<Todo> } | null = null

function stateFor(userId: string): LoadState<Todo> {
  if (current?.userId !== userId) {
    current = { userId, state: useLoad(myTodo, { cacheKey: `todo.${userId}`, immediate: false }) }
  }
  return current.state
}

/**
 * Fetch the to-dos again. `onFocus`: only if the last answer is older than FOCUS_GAP_MS.
 * A request already in flight is not doubled.
 */
export function refreshTodo(onFocus = false): void {
  const s = getSession()
  if (!features.todo || !s) return
  const state = stateFor(s.user.id)
  if (state.loading.value) return
  if (onFocus && state.at.value !== null && Date.now() - state.at.value < FOCUS_GAP_MS) return
  void state.reload()
}

/** The shared state for the signed-in person; `total` is null until there is an answer. */
export function useTodo() {
  const s = getSession()
  const state = stateFor(s?.user.id ?? '')
  const total = computed(() => state.data.value?.total ?? null)
  return { state, total }
}

/** Sign-out or tests: forget the shared state. */
export function resetTodo(): void {
  current = null
}
