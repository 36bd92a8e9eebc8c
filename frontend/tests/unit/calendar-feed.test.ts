// My calendar feed's card: until the server says whether a link exists, it neither claims one
// nor lets a renewal replace one without the confirmation (the flake this fixed: a click made
// while the status was loading skipped the "旧链接将失效" question).
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createI18n } from 'vue-i18n'
import zh from '../../src/locales/zh-CN.json'

const feedStatus = vi.fn()
vi.mock('../../src/api/duty', () => ({
  feedStatus: () => feedStatus(),
  renewFeed: vi.fn(),
  revokeFeed: vi.fn(),
}))

// The first mount compiles Vant's components: slow on a busy machine.
describe('calendar feed card', { timeout: 30_000 }, () => {
  afterEach(() => feedStatus.mockReset())

  async function mountCard() {
    const CalendarFeed = (await import('../../src/views/staff/CalendarFeed.vue')).default
    const i18n = createI18n({ legacy: false, locale: 'zh-CN', messages: { 'zh-CN': zh } })
    return mount(CalendarFeed, { global: { plugins: [i18n] } })
  }
  const renewDisabled = (w: Awaited<ReturnType<typeof mountCard>>) =>
    w.find('[data-testid="feed-renew"]').attributes('disabled') !== undefined

  it('says neither 已开启 nor 未开启 while loading, and renewing waits', async () => {
    feedStatus.mockReturnValue(new Promise(() => {}))
    const w = await mountCard()
    await flushPromises()
    expect(w.text()).toContain('加载中')
    expect(w.text()).not.toContain('未开启')
    expect(w.text()).not.toContain('已开启')
    expect(renewDisabled(w)).toBe(true)
  })

  it('shows the status once known', async () => {
    feedStatus.mockResolvedValue({ active: true, created_at: '2026-12-01T08:00:00Z' })
    const w = await mountCard()
    await flushPromises()
    expect(w.text()).toContain('已开启')
    expect(w.find('[data-testid="feed-renew"]').text()).toContain('重新生成')
    expect(renewDisabled(w)).toBe(false)
  })

  it('says it could not read the status, offers a retry, and never says 未开启', async () => {
    feedStatus.mockRejectedValueOnce(new TypeError('Failed to fetch'))
    const w = await mountCard()
    await flushPromises()
    expect(w.text()).not.toContain('未开启')
    expect(w.text()).toContain('暂时无法读取')
    expect(renewDisabled(w)).toBe(true)
    feedStatus.mockResolvedValueOnce({ active: false })
    await w.find('[data-testid="feed-reload"]').trigger('click')
    await flushPromises()
    expect(w.text()).toContain('未开启')
    expect(renewDisabled(w)).toBe(false)
  })
})
