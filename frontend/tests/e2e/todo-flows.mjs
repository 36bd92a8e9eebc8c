// Browser tests for to-dos (issue 16 "To-dos reach people"): at the phone viewport, a role's
// to-do badge and card appear when work waits for it and go when it is done. Called from
// run.mjs with its helpers.

export async function todoFlows({ test, page, base, login, shot, checkLayout, assert, apiLogin }) {
  const api = async (token, method, path, body) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: r.status, body: await r.json().catch(() => null) }
  }
  /** The number on the to-do tab's badge; 0 when there is no badge. */
  const badge = async () => {
    const b = page.getByTestId('todo-tab').locator('.van-badge')
    if (!(await b.count())) return 0
    return Number((await b.innerText()).trim())
  }
  const badgeIs = async (n, what) => {
    await page
      .waitForFunction(
        (n) => {
          const b = document.querySelector('[data-testid="todo-tab"] .van-badge')
          return (b ? Number(b.textContent.trim()) : 0) === n
        },
        n,
        { timeout: 8000 },
      )
      .catch(async () => assert(false, `${what}: badge ${await badge()}, expected ${n}`))
  }

  await test('a hazard assigned to guard1 shows on the to-do badge and card, and goes when rectified (390×844)', async () => {
    const office = await apiLogin(base, 'office')
    const guardId = (await api(await apiLogin(base, 'guard1'), 'GET', '/api/v1/me')).body.id
    const place = `北门岗亭外侧 ${Date.now() % 10000}`
    const tomorrow = new Date(Date.now() + 8 * 3600_000 + 86400_000).toISOString().slice(0, 10)

    await login(page, base, 'guard1')
    await page.goto(`${base}/guard/me`)
    await page.getByTestId('todo-card').waitFor()
    await page.locator('[data-testid="todo-card"] .van-skeleton').waitFor({ state: 'detached' }).catch(() => undefined)
    const before = await badge()

    // A teacher reports it (the office may not verify what it reported itself).
    const h = await api(await apiLogin(base, 'teacher1'), 'POST', '/api/v1/hazards', { category: 'other', location: place, description: '岗亭外侧地面破损' })
    assert(h.status === 201, `report: ${h.status}`)
    const a = await api(office, 'POST', `/api/v1/hazards/${h.body.id}/assign`, { owner_id: guardId, deadline: tomorrow })
    assert(a.status === 200, `assign: ${a.status} ${JSON.stringify(a.body)}`)

    // Opening a page fetches the to-dos again: no timer needed.
    await page.goto(`${base}/guard/me`)
    await badgeIs(before + 1, 'after the assignment')
    const card = page.getByTestId('todo-card')
    await card.getByTestId('todo-hazard_to_rectify').waitFor()
    const item = card.getByTestId('todo-item-hazard_to_rectify').filter({ hasText: place })
    await item.waitFor()
    assert(/截止 \d+月\d+日/.test(await item.innerText()), `no deadline: ${await item.innerText()}`)
    // (Titles are the records' own words; the dates the card writes are never ISO.)
    assert(!/\d{4}-\d{2}-\d{2}/.test(await item.innerText()), `a raw date: ${await item.innerText()}`)
    await shot(page, 'todo-guard-card')
    await checkLayout(page, 'guard to-do card')

    await item.click()
    await page.waitForURL((u) => u.pathname === `/guard/hazards/${h.body.id}`)
    await page.locator('textarea').first().fill('已用水泥修补地面')
    await page.getByRole('button', { name: '提交整改' }).click()
    await page.getByText('待验收').first().waitFor()

    await page.getByTestId('todo-tab').click()
    await page.waitForURL((u) => u.pathname === '/guard/me')
    await badgeIs(before, 'after the rectification')
    await page.waitForTimeout(300)
    assert(!(await page.getByTestId('todo-item-hazard_to_rectify').filter({ hasText: place }).count()), 'the rectified hazard is still listed')
    await shot(page, 'todo-guard-done')

    // Now it waits for the office's verification, on its desk.
    await login(page, base, 'office')
    await page.goto(`${base}/office/desk`)
    await page.getByTestId('todo-card').getByTestId('todo-hazard_to_verify').waitFor()
    const n = await badge()
    assert(n >= 1, `the office's badge: ${n}`)
    await shot(page, 'todo-office-desk')
  })

  // Each role's badge: a 通报 to that role raises it by one, reading it takes it back down; the
  // principal's also counts a plan waiting for approval until it is approved. At a phone (the tab
  // bar's badge) and at a laptop (the desk's side menu for the office and the principal).
  const AREAS = [
    ['office', 'security_office', '/office', '/office/desk'],
    ['principal', 'principal', '/principal', '/principal/desk'],
    ['teacher1', 'class_teacher', '/teacher', '/teacher/me'],
    ['guard1', 'guard', '/guard', '/guard/me'],
    ['officer1', 'safety_officer', '/officer', '/officer/me'],
  ]
  const shown = async () =>
    page.evaluate(() => {
      const b = document.querySelector('[data-testid="todo-side"]') ?? document.querySelector('[data-testid="todo-tab"] .van-badge')
      return b ? Number(b.textContent.trim()) || 0 : 0
    })
  const shownIs = async (n, what) => {
    await page
      .waitForFunction(
        (n) => {
          const b = document.querySelector('[data-testid="todo-side"]') ?? document.querySelector('[data-testid="todo-tab"] .van-badge')
          return (b ? Number(b.textContent.trim()) || 0 : 0) === n
        },
        n,
        { timeout: 8000 },
      )
      .catch(async () => assert(false, `${what}: badge ${await shown()}, expected ${n}`))
  }
  const settled = async () => {
    await page.getByTestId('todo-card').waitFor()
    await page.locator('[data-testid="todo-card"] .van-skeleton').waitFor({ state: 'detached' }).catch(() => undefined)
    await page.waitForTimeout(300)
  }
  for (const [label, vp] of [['390×844', { width: 390, height: 844 }], ['1366×768', { width: 1366, height: 768 }]]) {
    await test(`to-do ${label}: every role's badge appears when work waits and goes when it is done`, async () => {
      await page.setViewportSize(vp)
      const office = await apiLogin(base, 'office')
      const principal = await apiLogin(base, 'principal')
      for (const [user, role, area, home] of AREAS) {
        await login(page, base, user)
        await page.goto(`${base}${home}`)
        await settled()
        const before = await shown()
        const title = `${label} 待办测试通报 ${user}`
        const sent = await api(user === 'office' ? principal : office, 'POST', '/api/v1/announcements', { title, body: '请阅读。', target_roles: [role] })
        assert(sent.status === 201, `post to ${role}: ${sent.status} ${JSON.stringify(sent.body)}`)
        await page.goto(`${base}${home}`)
        await shownIs(before + 1, `${user} after a 通报`)
        await page.getByTestId('todo-card').getByTestId('todo-announcement_unread').waitFor()
        await shot(page, `todo-badge-${user}-${vp.width}`)
        // Opening it marks it read: wait for that answer before looking at the badge again.
        const read = page.waitForResponse((r) => r.url().endsWith(`/api/v1/announcements/${sent.body.id}/read`) && r.request().method() === 'POST', { timeout: 10000 })
        await page.goto(`${base}${area}/announcements/${sent.body.id}`)
        await page.getByText(title).first().waitFor()
        assert((await read).ok(), `${user}: marking it read failed`)
        await page.goto(`${base}${home}`)
        await shownIs(before, `${user} after reading it`)
      }
      // The principal: a plan waiting for approval.
      await login(page, base, 'principal')
      await page.goto(`${base}/principal/desk`)
      await settled()
      const before = await shown()
      const cur = (await api(office, 'GET', '/api/v1/semesters/current')).body
      const p = await api(office, 'POST', '/api/v1/plans', { title: `待办测试计划 ${label}`, semester: cur.code, starts_on: cur.starts_on, ends_on: cur.ends_on })
      assert(p.status === 201, `plan: ${p.status}`)
      const it = await api(office, 'POST', `/api/v1/plans/${p.body.id}/items`, { month: cur.starts_on.slice(0, 7), title: '开学安全检查', category: 'inspection' })
      assert(it.status === 201, `item: ${it.status} ${JSON.stringify(it.body)}`)
      assert((await api(office, 'POST', `/api/v1/plans/${p.body.id}/submit`)).status === 200, 'submit')
      await page.goto(`${base}/principal/desk`)
      await shownIs(before + 1, 'the principal with a plan to approve')
      await page.getByTestId('todo-card').getByTestId('todo-plan_to_approve').waitFor()
      assert((await api(principal, 'POST', `/api/v1/plans/${p.body.id}/approve`)).status === 200, 'approve')
      await page.goto(`${base}/principal/desk`)
      await shownIs(before, 'the principal after approving')
    })
  }
}

