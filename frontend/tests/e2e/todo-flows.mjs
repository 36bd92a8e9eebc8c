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
}
