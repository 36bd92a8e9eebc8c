// The to-do badge's shared state and the to-do card: fetched when asked (no timer, no double
// request), never a false zero while loading or offline, and a tap opens only screens that exist.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import { createPinia } from 'pinia'
import { createI18n } from 'vue-i18n'
import { createMemoryHistory, createRouter } from 'vue-router'
import zh from '../../src/locales/zh-CN.json'

const guard = { id: 'g1', username: 'guard1', display_name: '门卫一', role: 'guard', is_active: true, class_ids: [], created_at: '', updated_at: '' }
const today = (() => {
  const d = new Date()
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
})()
const answer = {
  total: 3,
  groups: [
    { category: 'health_report_to_file', count: 1, items: [{ id: null, title: '', due_date: today, due_at: null, overdue: false, route: '/guard/health' }] },
    { category: 'hazard_to_rectify', count: 2, items: [
      { id: 'h1', title: '北门岗亭', due_date: '2020-03-05', due_at: null, overdue: true, route: '/guard/hazards/h1' },
      { id: 'h2', title: '车棚', due_date: null, due_at: null, overdue: false, route: '/guard/nowhere' },
    ] },
    { category: 'announcement_unread', count: 0, items: [] },
  ],
}

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

async function load(server: () => Promise<Response>) {
  vi.resetModules()
  const fetch = vi.fn(server)
  vi.stubGlobal('fetch', fetch)
  const tokens = await import('../../src/api/tokens')
  tokens.setSession({ access: 'a', user: guard as never })
  const todo = await import('../../src/composables/useTodo')
  return { todo, fetch }
}

describe('to-do state', () => {
  beforeEach(() => localStorage.clear())
  afterEach(() => vi.unstubAllGlobals())

  it('fetches on request, never twice at once, and on focus only when stale', async () => {
    let release!: () => void
    const { todo, fetch } = await load(() => new Promise((r) => (release = () => r(json(200, answer)))))
    const { total, state } = todo.useTodo()
    expect(fetch).not.toHaveBeenCalled()
    todo.refreshTodo()
    todo.refreshTodo()
    expect(fetch).toHaveBeenCalledTimes(1)
    // No badge while the first answer is on its way: not a zero.
    expect(total.value).toBeNull()
    expect(state.pending.value).toBe(true)
    release()
    await flushPromises()
    expect(total.value).toBe(3)
    todo.refreshTodo(true)
    expect(fetch).toHaveBeenCalledTimes(1)
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + todo.FOCUS_GAP_MS + 1)
    todo.refreshTodo(true)
    expect(fetch).toHaveBeenCalledTimes(2)
    vi.restoreAllMocks()
  })

  it('offline, keeps the last figures this phone saw instead of a zero', async () => {
    const first = await load(async () => json(200, answer))
    first.todo.refreshTodo()
    await flushPromises()
    const { todo } = await load(async () => {
      throw new TypeError('Failed to fetch')
    })
    const { total, state } = todo.useTodo()
    todo.refreshTodo()
    await flushPromises()
    expect(state.offline.value).toBe(true)
    expect(total.value).toBe(3)
  })
})

// The first mount compiles Vant's components: slow on a busy machine.
describe('to-do card', { timeout: 30_000 }, () => {
  afterEach(() => vi.unstubAllGlobals())

  async function mountCard(server: () => Promise<Response>) {
    const { todo } = await load(server)
    const TodoCard = (await import('../../src/components/TodoCard.vue')).default
    const stub = { render: () => null }
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/guard/health', component: stub },
        { path: '/guard/hazards/:id', component: stub },
        { path: '/:rest(.*)*', name: 'not-found', component: stub },
      ],
    })
    const i18n = createI18n({ legacy: false, locale: 'zh-CN', messages: { 'zh-CN': zh } })
    const w = mount(TodoCard, { global: { plugins: [router, i18n, createPinia()] } })
    todo.refreshTodo()
    await flushPromises()
    return { w, router }
  }

  it('lists the waiting categories with counts, dates as people write them, and opens an item', async () => {
    const { w, router } = await mountCard(async () => json(200, answer))
    const text = w.text()
    expect(text).toContain('今日健康日报未填报')
    expect(text).toContain('待我整改的隐患')
    expect(text).not.toContain('未读通报')
    expect(text).toContain('今天')
    expect(text).toContain('截止 2020年3月5日')
    expect(text).toContain('已逾期')
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}/)
    expect(text).not.toContain('hazard_to_rectify')
    const items = w.findAll('[data-testid="todo-item-hazard_to_rectify"]')
    expect(items).toHaveLength(2)
    // The second one's screen does not exist in this build: not a link.
    expect(items[1].classes()).not.toContain('van-cell--clickable')
    await items[0].trigger('click')
    await flushPromises()
    expect(router.currentRoute.value.fullPath).toBe('/guard/hazards/h1')
  })

  it('says nothing waits only when the answer says so, never while offline', async () => {
    const empty = await mountCard(async () => json(200, { total: 0, groups: [{ category: 'hazard_to_rectify', count: 0, items: [] }] }))
    expect(empty.w.find('[data-testid="todo-none"]').exists()).toBe(true)
    localStorage.clear()
    const offline = await mountCard(async () => {
      throw new TypeError('Failed to fetch')
    })
    expect(offline.w.find('[data-testid="todo-none"]').exists()).toBe(false)
    expect(offline.w.find('[data-testid="todo-offline"]').exists()).toBe(true)
  })
})
