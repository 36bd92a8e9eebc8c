// The signed-in user, mirrored from the token store so that components react to it.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, call } from '../api/client'
import { getSession, onSessionChange, setSession, type User } from '../api/tokens'
import { homeFor } from '../router/tabs'

export type Role = User['role']

export const useAuth = defineStore('auth', () => {
  const user = ref<User | null>(getSession()?.user ?? null)
  onSessionChange((s) => {
    user.value = s?.user ?? null
  })
  const role = computed(() => user.value?.role ?? null)
  const home = computed(() => (role.value ? homeFor(role.value) : '/login'))

  async function login(username: string, password: string) {
    const r = await call(api.POST('/api/v1/auth/login', { body: { username, password } }))
    // The refresh token arrives as an HttpOnly cookie too; the page never keeps a copy.
    setSession({ access: r.access_token, user: r.user })
  }

  async function logout() {
    // The gate's offline cache and queue leave with the guard (what waits is sent first,
    // while the session still works).
    if (user.value?.role === 'guard' || user.value?.role === 'security_office') {
      await import('../offline/sync').then((m) => m.signOutGate()).catch(() => undefined)
    }
    // Head-count reports still waiting are tried once more, then leave with the teacher.
    await import('../offline/headcount')
      .then(async (m) => {
        await m.flushReports().catch(() => undefined)
        m.wipeReports()
      })
      .catch(() => undefined)
    // Revoke on the server when reachable; the local tokens go either way.
    try {
      await call(api.POST('/api/v1/auth/logout', {}))
    } catch {
      /* offline or already expired: nothing more to do */
    }
    setSession(null)
  }

  return { user, role, home, login, logout }
})
