// Browser tests for the evacuation head-count (issue 19): the office starts a drill's head-count
// on the board at a laptop (1366×768); teacher1, at the assembly point on a phone (390×844),
// marks a student missing and reports, then — with the network gone — reports the student found:
// the report waits on the phone and goes out when the network is back; the office enters another
// class's count handed over in person, watches the board and closes it. Called from run.mjs.

const PHONE = { width: 390, height: 844 }
const LAPTOP = { width: 1366, height: 768 }

export async function headcountFlows({ test, page, base, login, shot, checkLayout, assert, apiLogin }) {
  const api = async (token, path, init = {}) => {
    const r = await fetch(`${base}${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...(init.headers ?? {}) } })
    return { status: r.status, body: await r.json().catch(() => null) }
  }

  await test('headcount 1366×768 + 390×844: the office starts a drill head-count, teacher1 reports from the assembly point (also offline), the office closes it', async () => {
    const office = await apiLogin(base, 'office')
    const t1 = await apiLogin(base, 'teacher1')
    const t1Class = (await api(t1, '/api/v1/me')).body.class_ids[0]
    const classes = (await api(office, '/api/v1/classes')).body
    const other = classes.find((c) => c.id !== t1Class)
    const topic = '消防疏散演练(浏览器测试)'
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date())
    const act = await api(office, '/api/v1/activities', { method: 'POST', body: JSON.stringify({ kind: 'drill', topic, date: today, organiser: '保卫处' }) })
    assert(act.status === 201, `drill record: ${act.status}`)

    // The office starts it from the board.
    await page.setViewportSize(LAPTOP)
    await login(page, base, 'office')
    await page.goto(`${base}/office/headcount`)
    await page.getByTestId('hc-start').waitFor()
    await page.getByTestId('hc-drill').filter({ hasText: topic }).click()
    await checkLayout(page, 'head-count start 1366×768')
    await page.getByTestId('hc-start-btn').click()
    await page.waitForURL((u) => /\/office\/headcount\/[0-9a-f-]{36}$/.test(u.pathname))
    const hcId = new URL(page.url()).pathname.split('/').pop()
    await page.getByTestId('hc-totals').waitFor()
    assert((await page.getByTestId('hc-classes-reported').innerText()).startsWith('0/'), 'no class reported yet')
    await shot(page, 'headcount-board-started-1366')
    await checkLayout(page, 'head-count board 1366×768')

    // teacher1 on a phone: the banner leads to the class's form.
    await page.setViewportSize(PHONE)
    await login(page, base, 'teacher1')
    await page.getByTestId('hc-banner').click()
    await page.waitForURL((u) => u.pathname === '/teacher/headcount')
    await page.getByTestId('hc-students').waitFor()
    const sheet = (await api(t1, `/api/v1/headcounts/${hcId}/classes/${t1Class}`)).body
    const expected = sheet.expected - sheet.prefill.length
    assert((await page.getByTestId('hc-present').innerText()) === String(expected), 'everyone present but those out on a pass')
    const missing = sheet.students.find((s) => !sheet.prefill.some((p) => p.student_id === s.id))
    await page.getByTestId(`hc-student-${missing.student_no}`).click()
    await page.locator('.van-action-sheet__item').filter({ hasText: '下落不明' }).click()
    await page.getByTestId('hc-missing').filter({ hasText: '1' }).waitFor()
    await checkLayout(page, 'head-count report 390×844')
    await page.getByTestId('hc-submit').click()
    await page.getByTestId('hc-reported').waitFor()
    await shot(page, 'headcount-teacher-reported-390')

    // The student turns up; the network is gone when the teacher reports it.
    await page.getByTestId(`hc-student-${missing.student_no}`).click()
    await page.locator('.van-action-sheet__item').filter({ hasText: '在场' }).first().click()
    await page.getByTestId('hc-missing').filter({ hasText: '0' }).waitFor()
    await page.context().setOffline(true)
    await page.getByTestId('hc-submit').click()
    await page.getByTestId('hc-queued').waitFor()
    await shot(page, 'headcount-teacher-queued-390')
    assert(await page.getByTestId('hc-retry').isVisible(), 'a retry is offered')
    // Back in range: the phone sends the waiting report by itself (the same report id).
    await page.context().setOffline(false)
    await page.getByTestId('hc-reported').filter({ hasText: '第 2 版' }).waitFor({ timeout: 15000 })
    const row = (await api(office, `/api/v1/headcounts/${hcId}`)).body.classes.find((c) => c.class_id === t1Class)
    assert(row.version === 2 && row.missing.length === 0 && row.not_accounted === 0, `teacher1's class accounted for: ${JSON.stringify(row)}`)

    // The office enters a class handed over in person, watches the board, closes it.
    await page.setViewportSize(LAPTOP)
    await login(page, base, 'office')
    await page.goto(`${base}/office/headcount`)
    await page.getByTestId('hc-totals').waitFor()
    await page.getByTestId(`hc-enter-${other.name}`).click()
    await page.waitForURL((u) => u.pathname.endsWith(`/classes/${other.id}`))
    await page.getByTestId('hc-students').waitFor()
    await checkLayout(page, 'head-count office enters 1366×768')
    await page.getByTestId('hc-submit').click()
    await page.getByTestId('hc-reported').waitFor()
    await page.goto(`${base}/office/headcount/${hcId}`)
    await page.getByTestId('hc-classes-reported').filter({ hasText: /^2\// }).waitFor()
    await page.getByTestId(`hc-class-${other.name}`).getByText('已清点（代报）').waitFor()
    await shot(page, 'headcount-board-reported-1366')
    await page.getByTestId('hc-note').locator('textarea').fill('三楼东侧楼梯口疏散较慢')
    await page.getByTestId('hc-close').click()
    await page.locator('.van-dialog__confirm').click()
    await page.getByText('已结束').first().waitFor()
    await shot(page, 'headcount-board-closed-1366')
    const open = (await api(office, '/api/v1/headcounts/open')).body
    assert(open.headcount === null, 'closed')
  })
}
