// The bell's unread count, shared by the app bar and the notifications page. Fetched when a page
// opens, when the app comes back to the front, and once a minute while the app is in front (an
// escalation may arrive at any moment); a request in flight is not doubled. No badge while the
// first answer is on its way or the last one failed: never a false zero. Reading a notice lowers
// the count at once; the next answer from the server is the truth.
import { computed, ref } from 'vue'
import { listNotifications } from '../api/notifications'
import { getSession } from '../api/tokens'

/** While the app is in front, the count is fetched again after this long. */
export const POLL_MS = 60_000

const count = ref<number | null>(null)
const loading = ref(false)
let owner: string | null = null
let fetchedAt = 0

/** Fetch the count again (`ifStale`: only when the last answer is older than POLL_MS). */
export async function refreshBell(ifStale = false): Promise<void> {
  const s = getSession()
  if (!s) return
  if (owner !== s.user.id) {
    owner = s.user.id
    count.value = null
    fetchedAt = 0
  }
  if (loading.value) return
  if (ifStale && fetchedAt && Date.now() - fetchedAt < POLL_MS) return
  loading.value = true
  const who = owner
  try {
    const page = await listNotifications({ limit: 1, unread: true })
    if (who === owner) {
      count.value = page.unread_count
      fetchedAt = Date.now()
    }
  } catch {
    // Offline or refused: keep what the bell showed (or nothing), never a zero made up here.
  } finally {
    loading.value = false
  }
}

/** One notice read here: lower the count without waiting for the server. */
export function markedRead(n = 1): void {
  if (count.value !== null) count.value = Math.max(0, count.value - n)
}

/** Everything read. */
export function allRead(): void {
  if (count.value !== null) count.value = 0
}

/** Set from a fresh list answer (the notifications page). */
export function setUnread(n: number): void {
  count.value = n
  fetchedAt = Date.now()
}

export function useBell() {
  return { count: computed(() => count.value), loading }
}

/** Sign-out or tests. */
export function resetBell(): void {
  count.value = null
  owner = null
  fetchedAt = 0
  loading.value = false
}
