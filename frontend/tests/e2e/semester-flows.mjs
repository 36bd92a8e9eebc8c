// Browser tests for semesters as data and the watchlist at the gate (issue 14): a banned
// person is refused with no override, the guard's visitor count is never a false 0, and the
// semester views open on the current semester. Called from run.mjs with its helpers.

export async function semesterFlows({ test, page, base, login, shot, checkLayout, assert, apiLogin }) {
  const api = async (token, method, path, body) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: r.status, body: await r.json().catch(() => null) }
  }

  await test('guard1 tries to check in a banned person: 禁止入校, what to do, no override; the office sees the attempt', async () => {
    const office = await apiLogin(base, 'office')
    const phone = `137${String(Date.now()).slice(-8)}`
    const r = await api(office, 'POST', '/api/v1/watchlist', { name: '钱某', phone, category: 'banned', note: '多次滋扰学生，禁止入校' })
    assert(r.status === 201, `watchlist: ${r.status}`)
    await login(page, base, 'guard1')
    await page.goto(`${base}/guard/visitors`)
    await page.getByTestId('visitor-name').locator('input').fill('钱先生')
    await page.getByTestId('visitor-phone').locator('input').fill(phone)
    await page.getByRole('button', { name: '家长来访' }).click()
    await page.getByTestId('visitor-submit').click()
    const alarm = page.getByTestId('visitor-banned')
    await alarm.waitFor()
    const text = await alarm.innerText()
    assert(text.includes('禁止入校'), `no 禁止入校: ${text}`)
    assert(text.includes('请其离开') && text.includes('报警'), `no instructions: ${text}`)
    assert(!text.includes('我已知晓'), 'the guard is offered an override')
    await shot(page, 'guard-visitor-banned')
    await checkLayout(page, 'banned alarm')
    await page.getByTestId('visitor-banned-close').click()
    await page.getByRole('tab', { name: /在校访客/ }).click()
    await page.waitForTimeout(300)
    assert(!(await page.locator('.van-cell').filter({ hasText: '钱先生' }).count()), 'the banned person is listed on campus')
    // The office is told: the refused attempt is in its alerts.
    await login(page, base, 'office')
    await page.goto(`${base}/office/visitors`)
    await page.getByRole('tab', { name: '预警记录' }).click()
    await page.getByTestId('flagged-visit').filter({ hasText: '钱先生' }).filter({ hasText: '拒绝入校' }).first().waitFor()
    await shot(page, 'office-flagged-banned')
  })

  await test("the guard's 在校访客 never shows a false 0 offline: the last figure with its time", async () => {
    await login(page, base, 'guard1')
    await page.goto(`${base}/guard/visitors`)
    const tab = page.getByRole('tab', { name: /在校访客/ })
    await page.waitForFunction(() => /在校访客（\d+）/.test(document.body.innerText))
    const online = (await tab.innerText()).trim()
    const n = Number(/（(\d+)）/.exec(online)?.[1])
    assert(n > 0, `the demo has visitors on campus: ${online}`)
    await page.route('**/api/v1/visitors**', (route) => route.abort('internetdisconnected'))
    await page.reload()
    await page.getByTestId('visitor-name').waitFor()
    const tab2 = page.getByRole('tab', { name: /^在校/ })
    await page.waitForFunction(() => /在校 \d+·\d{1,2}:\d{2}/.test(document.body.innerText))
    const offline = (await tab2.innerText()).trim()
    assert(!offline.includes('（0）') && !/在校 0·/.test(offline), `a false zero offline: ${offline}`)
    assert(offline.startsWith(`在校 ${n}·`), `not the last figure with its time: ${offline}`)
    await tab2.click()
    await page.getByTestId('visitors-offline').waitFor()
    await shot(page, 'guard-visitors-offline')
    await page.unroute('**/api/v1/visitors**')
  })

  await test('the office defines the next semester on its screen (学期设置)', async () => {
    const office = await apiLogin(base, 'office')
    const cur = await api(office, 'GET', '/api/v1/semesters/current')
    assert(cur.status === 200, `current: ${cur.status}`)
    const day = (iso, n) => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10)
    const starts = day(cur.body.ends_on, 1)
    const ends = day(cur.body.ends_on, 150)
    await login(page, base, 'office')
    await page.goto(`${base}/office/semesters`)
    await page.getByTestId(`semester-${cur.body.code}`).getByText('本学期').waitFor()
    await page.getByTestId('semester-name').locator('input').fill('下学期（e2e）')
    await page.getByTestId('semester-code').locator('input').fill('e2e-next')
    await page.getByTestId('semester-starts').locator('input').fill(starts)
    await page.getByTestId('semester-ends').locator('input').fill(ends)
    await page.getByTestId('semester-save').click()
    await page.getByTestId('semester-e2e-next').waitFor()
    await shot(page, 'office-semesters')
    const list = await api(office, 'GET', '/api/v1/semesters')
    const made = list.body.find((x) => x.code === 'e2e-next')
    assert(made && made.starts_on === starts && made.ends_on === ends && made.name === '下学期（e2e）', `saved: ${JSON.stringify(made)}`)
    // An overlapping one is refused with the reason in Chinese, and nothing is lost from the form.
    await page.getByTestId('semester-code').locator('input').fill('e2e-overlap')
    await page.getByTestId('semester-starts').locator('input').fill(cur.body.starts_on)
    await page.getByTestId('semester-ends').locator('input').fill(cur.body.ends_on)
    await page.getByTestId('semester-name').locator('input').fill('重叠的学期')
    await page.getByTestId('semester-save').click()
    await page.getByText('与已有学期的日期重叠').first().waitFor()
    assert((await page.getByTestId('semester-name').locator('input').inputValue()) === '重叠的学期', 'the form was cleared')
  })

  await test('the ledger and the assessment open on the current semester and offer the seed one', async () => {
    const office = await apiLogin(base, 'office')
    const cur = (await api(office, 'GET', '/api/v1/semesters/current')).body
    assert(cur && cur.name, 'no current semester in the demo')
    await login(page, base, 'principal')
    await page.goto(`${base}/principal/assessment`)
    await page.getByTestId('assessment-range').filter({ hasText: cur.name }).waitFor()
    await page.getByTestId('semester-picker').filter({ hasText: '本学期' }).waitFor()
    await page.getByTestId('semester-picker').click()
    await page.getByRole('button', { name: /2019-2020学年第二学期/ }).click()
    // The range as people write it, never ISO.
    await page.getByTestId('assessment-range').filter({ hasText: '2020年2月17日' }).waitFor()
    assert(!/\d{4}-\d{2}-\d{2}/.test(await page.getByTestId('assessment-range').innerText()), 'an ISO date in the assessment range')
    await shot(page, 'principal-assessment-seed-semester')
    await page.goto(`${base}/principal/desk`)
    await page.getByTestId('semester-picker').filter({ hasText: cur.name }).waitFor()
    await checkLayout(page, 'principal desk with the semester picker')
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('ledger-export').click()])
    assert(download.suggestedFilename().includes(cur.code), `ledger file ${download.suggestedFilename()} is not the current semester ${cur.code}`)
  })
}
