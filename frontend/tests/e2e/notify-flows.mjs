// Browser tests for notifications (issue 18 "In the app"): at the phone viewport, a hazard assigned
// to guard1 rings the bell in the app bar; the notifications page lists it unread, a tap marks it
// read and opens the hazard; 全部已读 clears the bell. Called from run.mjs with its helpers.

export async function notifyFlows({ test, page, base, login, shot, checkLayout, assert, apiLogin }) {
  const api = async (token, method, path, body) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: r.status, body: await r.json().catch(() => null) }
  }
  const bell = async () => {
    const b = page.locator('[data-testid="bell"] .van-badge')
    if (!(await b.count())) return 0
    return Number((await b.innerText()).trim()) || 0
  }

  await test('notifications: the bell rings for an assigned hazard, a tap reads and opens it, read-all clears (390×844)', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    const office = await apiLogin(base, 'office')
    const guard = await apiLogin(base, 'guard1')
    const guardId = (await api(guard, 'GET', '/api/v1/me')).body.id
    await api(guard, 'POST', '/api/v1/notifications/read-all')
    const place = `通知测试 东门岗亭 ${Date.now() % 10000}`
    const tomorrow = new Date(Date.now() + 8 * 3600_000 + 86400_000).toISOString().slice(0, 10)
    const teacher = await apiLogin(base, 'teacher1')
    const assigned = async (location, description) => {
      const h = await api(teacher, 'POST', '/api/v1/hazards', { category: 'other', location, description })
      assert(h.status === 201, `report: ${h.status}`)
      const a = await api(office, 'POST', `/api/v1/hazards/${h.body.id}/assign`, { owner_id: guardId, deadline: tomorrow })
      assert(a.status === 200, `assign: ${a.status}`)
      return h
    }
    // Two notices: one read by its tap, the other left for 全部已读.
    await assigned(`${place} 北侧`, '岗亭门锁松动')
    const h = await assigned(place, '岗亭玻璃破裂')
    // The worker writes the notifications within a second or so.
    for (let i = 0; i < 40; i++) {
      const r = await api(guard, 'GET', '/api/v1/notifications?unread=true&limit=1')
      if (r.body?.unread_count > 1) break
      await new Promise((r) => setTimeout(r, 250))
    }

    await login(page, base, 'guard1')
    await page.goto(`${base}/guard/me`)
    await page.getByTestId('bell').waitFor()
    await page.waitForFunction(() => {
      const b = document.querySelector('[data-testid="bell"] .van-badge')
      return b && Number(b.textContent.trim()) >= 2
    }, null, { timeout: 8000 }).catch(async () => assert(false, `bell shows ${await bell()}`))
    await shot(page, 'notify-bell')

    await page.getByTestId('bell').click()
    await page.waitForURL((u) => u.pathname === '/guard/notifications')
    const item = page.getByTestId('notification').filter({ hasText: place }).filter({ hasNotText: '北侧' })
    await item.waitFor()
    assert((await item.innerText()).includes('隐患已分派给您整改'), await item.innerText())
    await checkLayout(page, 'guard notifications')
    await shot(page, 'notify-list')
    await item.click()
    await page.waitForURL((u) => u.pathname === `/guard/hazards/${h.body.id}`)

    await page.goto(`${base}/guard/notifications`)
    await page.getByTestId('notification').first().waitFor()
    await page.getByTestId('notifications-read-all').click()
    await page.waitForFunction(() => !document.querySelector('[data-testid="bell"] .van-badge'), null, { timeout: 8000 })
      .catch(async () => assert(false, `bell after read-all: ${await bell()}`))
    const left = await api(guard, 'GET', '/api/v1/notifications?limit=1')
    assert(left.body.unread_count === 0, `unread on the server: ${left.body.unread_count}`)
  })

  await test('notifications: the office changes the escalation clock (390×844)', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await login(page, base, 'office')
    await page.goto(`${base}/office/escalations`)
    const teacher = page.getByTestId('esc-teacher-after').locator('input')
    await teacher.waitFor()
    await checkLayout(page, 'office escalation settings')
    await teacher.fill('90')
    await page.getByTestId('esc-save').click()
    await page.getByText('通知保卫处须晚于通知班主任').waitFor()
    await teacher.fill('20')
    await page.getByTestId('esc-save').click()
    await page.getByText('最近修改', { exact: false }).waitFor()
    const s = await api(await apiLogin(base, 'office'), 'GET', '/api/v1/escalation-settings')
    assert(s.body.settings.pass_overdue.teacher_after_minutes === 20, JSON.stringify(s.body))
    await shot(page, 'notify-escalations')
  })
}
