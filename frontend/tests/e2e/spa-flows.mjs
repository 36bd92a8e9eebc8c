// Browser flows for what the office's, teacher's and officer's screens show (issue 14): the
// dashboard's cards open the lists behind their numbers with the same figures, offline the
// last known figures are shown with their time (never a zero), the office acknowledges a
// guard's abnormal health report, a submitted weekly check reopens as submitted and can be
// amended, and the safety officer's tasks page never answers 403.
// Called by run.mjs with its helpers; each flow makes its own data through the API.

export async function spaFlows({ page, ctx, base, test, login, shot, checkLayout, assert, apiLogin }) {
  const api = async (token, method, path, body) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
    const text = await r.text()
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`)
    return text ? JSON.parse(text) : null
  }
  const figure = async (key) => Number((await page.getByTestId(`figure-${key}`).textContent()).trim())

  await test('spa: office dashboard cards open their lists, with the figures the API returns', async () => {
    // A student out (a pass scanned out at the gate) and a visitor on campus, made through the API.
    const teacher = await apiLogin(base, 'teacher2')
    const guard = await apiLogin(base, 'guard1')
    const office = await apiLogin(base, 'office')
    const me = await api(teacher, 'GET', '/api/v1/me')
    const st = await api(teacher, 'GET', `/api/v1/students?class_id=${me.class_ids[0]}&limit=5`)
    const pass = await api(teacher, 'POST', '/api/v1/leave-passes', {
      student_id: st.items[0].id,
      kind: 'exit_and_return',
      reason: '看病',
      valid_until: new Date(Date.now() + 4 * 3600_000).toISOString(),
      return_by: new Date(Date.now() + 3 * 3600_000).toISOString(),
    })
    const scan = await api(guard, 'POST', '/api/v1/gate/scans', { token: pass.token, direction: 'exit', gate: '东门', client_event_id: `spa-${Date.now()}` })
    assert(scan.result === 'allow', `exit scan: ${JSON.stringify(scan)}`)
    await api(guard, 'POST', '/api/v1/visitors', { name: '李访客', reason: '送教材', host: '教务处', gate: '东门' })
    const d = await api(office, 'GET', '/api/v1/dashboard')
    assert(d.gate.students_out >= 1 && d.visitors.on_campus >= 1, `dashboard: ${JSON.stringify(d.gate)} ${JSON.stringify(d.visitors)}`)

    await login(page, base, 'office')
    await page.getByTestId('figure-studentsOut').waitFor()
    await shot(page, 'spa-office-dashboard')
    await checkLayout(page, 'office dashboard')
    assert((await figure('studentsOut')) === d.gate.students_out, `students out: ${await figure('studentsOut')} ≠ ${d.gate.students_out}`)
    assert((await figure('studentsOverdue')) === d.gate.students_overdue, 'students overdue differs from the API')
    assert((await figure('trafficMissing')) === d.traffic_checks.missing, 'missing traffic checks differ from the API')
    assert((await figure('visitorsOnCampus')) === d.visitors.on_campus, 'visitors on campus differ from the API')
    assert((await figure('openHazards')) === d.hazards.open, 'open hazards differ from the API')

    // Students out: the list behind the number has as many rows, and our student.
    await page.getByTestId('card-studentsOut').click()
    await page.waitForURL((u) => u.pathname === '/office/figures/students-out')
    await page.getByTestId('figure-list').waitFor()
    assert((await page.getByTestId('figure-row').count()) === d.gate.students_out, 'students-out rows ≠ figure')
    await page.getByTestId('figure-row').filter({ hasText: st.items[0].name }).first().waitFor()
    await shot(page, 'spa-students-out')
    await checkLayout(page, 'students out list')

    await page.goBack()
    await page.getByTestId('card-visitorsOnCampus').click()
    await page.waitForURL((u) => u.pathname === '/office/figures/visitors-on-campus')
    await page.getByTestId('figure-list').waitFor()
    assert((await page.getByTestId('figure-row').count()) === d.visitors.on_campus, 'visitor rows ≠ figure')
    await page.getByTestId('figure-row').filter({ hasText: '李访客' }).first().waitFor()

    await page.goBack()
    await page.getByTestId('card-openHazards').click()
    await page.waitForURL((u) => u.pathname === '/office/hazards' && u.search.includes('status=open'))
    await page.locator('.van-tab--active').filter({ hasText: '未销号' }).waitFor()

    await page.goBack()
    await page.getByTestId('card-trafficMissing').click()
    await page.waitForURL((u) => u.pathname === '/office/compliance')

    await page.goBack()
    await page.getByTestId('card-studentsOverdue').click()
    await page.waitForURL((u) => u.pathname === '/office/figures/students-overdue')
    await page.getByTestId('figure-list').waitFor()
    assert((await page.getByTestId('figure-row').count()) === d.gate.students_overdue, 'overdue rows ≠ figure')
  })

  await test('spa: offline, the dashboard shows the last figures with their time, not zero', async () => {
    await login(page, base, 'office')
    await page.getByTestId('figure-studentsOut').waitFor()
    const out = await figure('studentsOut')
    const visitors = await figure('visitorsOnCampus')
    assert(out >= 1 && visitors >= 1, 'figures from the previous flow')
    await page.goto(`${base}/office/me`)
    await page.getByTestId('sign-out').waitFor()
    await ctx.setOffline(true)
    try {
      // Back to the desk inside the app (its code is already loaded): the API is unreachable.
      await page.goBack()
      await page.getByTestId('load-offline').waitFor()
      assert((await page.getByTestId('load-offline').textContent()).includes('网络已断开'), 'offline not said')
      assert((await figure('studentsOut')) === out, `offline students out: ${await figure('studentsOut')} ≠ ${out}`)
      assert((await figure('visitorsOnCampus')) === visitors, 'offline visitors on campus changed')
      await shot(page, 'spa-dashboard-offline')
    } finally {
      await ctx.setOffline(false)
    }
    await page.getByTestId('load-offline').getByRole('button').click()
    await page.getByTestId('load-offline').waitFor({ state: 'detached' })
  })

  await test('spa: the office opens the abnormal health reports and acknowledges one with a note', async () => {
    const guard = await apiLogin(base, 'guard2')
    const r = await api(guard, 'POST', '/api/v1/health-reports', { temperature: 38.2, fit_for_duty: false, symptoms: '发热' })
    assert(r.abnormal, 'report not abnormal')
    await login(page, base, 'office')
    await page.getByTestId('figure-healthAbnormal').waitFor()
    const before = await figure('healthAbnormal')
    assert(before >= 1, 'no abnormal report counted')
    await page.getByTestId('card-healthAbnormal').click()
    await page.waitForURL((u) => u.pathname === '/office/health-reports')
    const row = page.getByTestId(`health-${r.id}`)
    await row.waitFor()
    assert((await row.textContent()).includes('38.2'), 'temperature not shown')
    await shot(page, 'spa-health-reports')
    await checkLayout(page, 'health reports')
    await row.getByTestId('health-ack-open').click()
    await page.getByTestId('health-ack-note').locator('textarea').fill('已告知校医，安排回家休息')
    await page.locator('.van-dialog').getByRole('button', { name: '确认' }).click()
    await page.getByText('没有待确认的健康异常').or(page.getByTestId('health-reports').locator('[data-testid^="health-"]').first()).waitFor()
    await page.getByRole('tab', { name: '全部异常' }).click()
    const done = page.getByTestId(`health-${r.id}`)
    await done.getByTestId('health-ack').waitFor()
    assert((await done.getByTestId('health-ack').textContent()).includes('已告知校医，安排回家休息'), 'note not shown')
    await shot(page, 'spa-health-acknowledged')
    await page.goBack()
    await page.getByTestId('figure-healthAbnormal').waitFor()
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="figure-healthAbnormal"]')?.textContent) === n, before - 1)
  })

  await test('spa: a submitted weekly check reopens as submitted (failed item, note, hazard)', async () => {
    // The demo: teacher2's class submitted this week with item t3 failed, which raised a hazard.
    await login(page, base, 'teacher2')
    await page.goto(`${base}/teacher/check`)
    await page.getByTestId('check-submitted').waitFor()
    const item = page.getByTestId('item-t3')
    assert((await item.getByTestId('result-t3').textContent()).includes('不合格'), 'the failed item shows 合格 on reopening')
    assert((await item.textContent()).includes('车棚东侧电动车停放杂乱'), 'the failed item’s note is not shown')
    await item.getByTestId('hazard-of-t3').waitFor()
    const results = await page.locator('[data-testid^="result-"]').allTextContents()
    assert(results.filter((t) => t.includes('不合格')).length === 1, `results: ${results.join(',')}`)
    assert(!(await page.getByTestId('check-submit').count()), 'a fresh form over a submitted check')
    await shot(page, 'spa-check-reopened')
    await checkLayout(page, 'submitted check')
  })

  await test('spa: 全部合格 asks first; a submitted check can be amended', async () => {
    // teacher5's class has not submitted this week (demo).
    const teacher = await apiLogin(base, 'teacher5')
    const templates = await api(teacher, 'GET', '/api/v1/inspection-templates')
    const tpl = templates.find((x) => x.category === 'traffic' && x.target_kind === 'class' && x.is_active !== false && x.is_current !== false)
    const idx = tpl.items.findIndex((it) => !it.photo_required_on_fail)
    assert(idx >= 0, 'an item that needs no photo')
    const key = tpl.items[idx].key

    await login(page, base, 'teacher5')
    await page.goto(`${base}/teacher/check`)
    try {
      await page.getByTestId('check-submit').waitFor()
    } catch (e) {
      await shot(page, 'spa-check-not-loaded')
      throw new Error(`${e.message}\n    page: ${(await page.locator('body').innerText()).slice(0, 300)}`)
    }
    // 全部合格: a confirmation first; cancelling submits nothing.
    await page.getByTestId('check-submit').click()
    await page.locator('.van-dialog').getByText('全部合格？').waitFor()
    await shot(page, 'spa-check-confirm')
    await page.locator('.van-dialog').getByRole('button', { name: '取消' }).click()
    const due = await api(teacher, 'GET', '/api/v1/inspections/due')
    assert(!due.some((x) => x.template_id === tpl.id && x.status === 'submitted'), 'cancel submitted the check')
    await page.getByTestId('check-submit').click()
    await page.locator('.van-dialog').getByRole('button', { name: '确认提交' }).click()
    await page.getByTestId('check-done').waitFor()

    // Amend: one item failed, with a note.
    await page.getByTestId('check-amend').click()
    await page.getByTestId(`item-${key}`).locator('.item-row').click()
    await page.getByTestId(`item-${key}`).getByTestId('fail-note').locator('textarea').fill('校门口护栏缺失一段')
    await page.getByTestId('check-submit').click()
    await page.getByTestId('check-done').filter({ hasText: '第 2 版' }).waitFor()

    // Reopen: the amended version as submitted.
    await page.reload()
    await page.getByTestId('check-submitted').waitFor()
    const item = page.getByTestId(`item-${key}`)
    assert((await item.getByTestId(`result-${key}`).textContent()).includes('不合格'), 'the amended item shows 合格 on reopening')
    assert((await item.textContent()).includes('校门口护栏缺失一段'), 'the note is not shown')
    assert((await page.getByTestId('check-done').textContent()).includes('第 2 版'), 'not the amended version')
    await shot(page, 'spa-check-amended')
  })

  await test('spa: the safety officer sees own tasks, never a 403', async () => {
    const forbidden = []
    const onResponse = (r) => {
      if (r.status() === 403 && r.url().includes('/api/')) forbidden.push(r.url())
    }
    page.on('response', onResponse)
    try {
      await login(page, base, 'officer1')
      await page.goto(`${base}/officer/me`)
      await page.getByTestId('sign-out').waitFor()
      assert(!(await page.getByTestId('me-plan-tasks').count()), 'a plan-tasks link the officer may not load')
      await page.getByTestId('me-tasks').click()
      await page.waitForURL((u) => u.pathname === '/officer/tasks')
      await page.getByTestId('my-checks').or(page.getByText('近期没有需要完成的检查')).first().waitFor()
      assert(!(await page.locator('.xa-error-box').count()), 'an error box on the tasks page')
      await shot(page, 'spa-officer-tasks')
      await checkLayout(page, 'officer tasks')
      await page.goto(`${base}/officer/plan-tasks`)
      await page.getByText('页面不存在').first().waitFor()
      assert(!forbidden.length, `403 answers: ${forbidden.join(', ')}`)
    } finally {
      page.off('response', onResponse)
    }
  })

  await test('spa: the audit log says who did what to which record, in words', async () => {
    await login(page, base, 'office')
    await page.goto(`${base}/office/audit`)
    await page.getByTestId('audit-row').first().waitFor()
    const rows = (await page.getByTestId('audit-row').allTextContents()).slice(0, 20)
    assert(rows.some((t) => t.includes('登录') && t.includes('保卫处')), `no 登录 by the office: ${rows.slice(0, 3).join(' | ')}`)
    for (const t of rows) assert(!/\b[a-z_]+\.[a-z_]+\b/.test(t), `a raw action code: ${t}`)
    await shot(page, 'spa-audit')
    await checkLayout(page, 'audit log')
  })
}
