// Browser tests for the office's desk (issue 16): the 清明节 roster made from a pattern, a
// conflict seen and fixed, published and marked 报送; a swap asked, accepted and approved with
// both calendars following; a plan written, submitted and approved from the sticky bar. Every
// flow runs at a phone (390×844) and at a laptop (1366×768, the desk layout: side menu, tables,
// the record beside the list). Called from run.mjs with its helpers.

const PHONE = { width: 390, height: 844 }
const LAPTOP = { width: 1366, height: 768 }

export async function deskFlows({ test, page, base, login, shot, checkLayout, assert, apiLogin }) {
  const api = async (token, method, path, body) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: r.status, body: await r.json().catch(() => null) }
  }
  const office = await apiLogin(base, 'office')
  const users = (await api(office, 'GET', '/api/v1/users?limit=100')).body.items
  const user = (name) => users.find((u) => u.username === name)
  // The coming 4/4 in the school's time zone; the laptop run takes the year after, so that the two
  // runs' published shifts never overlap.
  const today = new Date(Date.now() + 8 * 3600000).toISOString().slice(0, 10)
  const year0 = Number(today.slice(0, 4)) + (today.slice(5) >= '04-04' ? 1 : 0)
  const visible = (loc) => loc.filter({ visible: true })
  const pick = async (field, ...usernames) => {
    await page.getByTestId(field).click()
    for (const u of usernames) await visible(page.getByTestId(`pick-${u}`)).click()
    if (usernames.length > 1 || field.startsWith('pattern-')) await visible(page.getByTestId('pick-done')).click()
    await page.waitForTimeout(350)
  }
  const ics = async (url) => (await fetch(url)).text()

  for (const [label, vp, year] of [['390×844', PHONE, year0], ['1366×768', LAPTOP, year0 + 1]]) {
    const d = (md) => `${year}-${md}`
    const wide = vp.width >= 1024
    let rosterId = ''

    await test(`desk ${label}: the office makes 清明节值班表 ${year} from a pattern, sees a conflict, fixes it and publishes`, async () => {
      await page.setViewportSize(vp)
      await login(page, base, 'office')
      await page.goto(`${base}/office/duty`)
      if (wide) {
        await page.getByTestId('desk-menu').getByRole('link', { name: '值班表' }).waitFor()
        assert(!(await page.locator('.van-tabbar').count()), 'a tab bar at the desk')
      } else {
        assert(!(await page.getByTestId('desk-menu').count()), 'a side menu on a phone')
      }
      await page.getByTestId('roster-new').click()
      await page.getByTestId('roster-title').locator('input').fill('清明节值班表')
      await page.getByTestId('roster-start').locator('input').fill(d('04-04'))
      await page.getByTestId('roster-end').locator('input').fill(d('04-06'))
      assert((await page.getByTestId('roster-report-to').locator('input').inputValue()) === '校办', 'report_to default')
      assert((await page.getByTestId('roster-notify').locator('input').inputValue()) === '教师群', 'notify default')
      await checkLayout(page, `new roster form ${label}`)
      if (!wide) {
        // The network drops as the office saves: the error says so, and nothing typed is lost,
        // not even across a reload.
        const rosters = '**/api/v1/duty/rosters'
        await page.route(rosters, (route) => (route.request().method() === 'POST' ? route.abort('internetdisconnected') : route.continue()))
        await page.getByTestId('roster-create').click()
        await page.getByTestId('roster-form').locator('.xa-error-box').waitFor()
        await page.unroute(rosters)
        await page.reload()
        await page.getByTestId('roster-new').click()
        assert((await page.getByTestId('roster-title').locator('input').inputValue()) === '清明节值班表', 'the title was lost')
        assert((await page.getByTestId('roster-end').locator('input').inputValue()) === d('04-06'), 'the end date was lost')
      }
      await page.getByTestId('roster-create').click()
      await page.waitForURL((u) => /\/office\/duty\/[0-9a-f-]{36}$/.test(u.pathname))
      rosterId = page.url().split('/').pop()
      if (wide) await page.getByTestId('rosters').getByText('清明节值班表').first().waitFor()
      await page.getByTestId('pattern-open').locator('.van-collapse-item__title').click()
      await pick('pattern-guards', 'guard1', 'guard2')
      await pick('pattern-leaders', 'principal', 'office')
      await pick('pattern-teachers', 'teacher1', 'teacher2')
      await page.getByTestId('pattern-generate').click()
      await page.getByTestId(`day-${d('04-06')}`).waitFor()
      const n = await page.getByTestId('shift').count()
      assert(n === 12, `4 shifts a day for 3 days, got ${n}`)
      const own = await api(office, 'GET', `/api/v1/duty/rosters/${rosterId}/conflicts`)
      assert(own.status === 200 && !own.body.length, `the pattern itself conflicts: ${JSON.stringify(own.body)}`)
      // A second guard shift for guard1 on 4/4 overlaps the day shift the pattern gave them.
      await page.getByTestId('shift-add-open').locator('.van-collapse-item__title').click()
      await page.getByTestId('shift-date').selectOption(d('04-04'))
      await pick('shift-user', 'guard1')
      await page.getByTestId('shift-start').locator('input').fill('12:00')
      await page.getByTestId('shift-end').locator('input').fill('14:00')
      await page.getByTestId('shift-submit').click()
      const conflicts = page.getByTestId('roster-conflicts')
      await conflicts.getByText('同一人班次重叠').first().waitFor()
      await shot(page, `office-roster-conflict-${vp.width}`)
      await checkLayout(page, `roster with a conflict ${label}`)
      await page.getByTestId('shift').filter({ hasText: '12:00–14:00' }).getByTestId('shift-remove').click()
      await conflicts.waitFor({ state: 'detached' })
      await page.getByTestId('roster-publish').click()
      await page.getByTestId('roster-status').filter({ hasText: '已发布' }).waitFor()
      await page.getByTestId('roster-reported').click()
      await page.getByText(/已于 .* 标记线下报送/).waitFor()
      // 通报 教师群: marked the same way, with who did it.
      await page.getByTestId('roster-notified').click()
      await page.getByTestId('roster-notify-mark').getByText(/已于 .* 通报（.+）/).waitFor()
      await page.getByTestId('roster-report-mark').getByText(/已于 .* 标记线下报送（.+）/).waitFor()
      await shot(page, `office-roster-published-${vp.width}`)
      const r = await api(office, 'GET', `/api/v1/duty/rosters/${rosterId}`)
      assert(r.body.status === 'published' && r.body.reported_at && r.body.notified_at && r.body.notified_by === r.body.reported_by && r.body.shifts.length === 12, `saved: ${r.body.status} ${r.body.reported_at} ${r.body.notified_at} ${r.body.shifts.length}`)
    })

    await test(`desk ${label}: 报送 the published roster to 校办 through a channel, its status shown apart from the hand mark`, async () => {
      assert(rosterId, 'no roster from the previous flow')
      await page.setViewportSize(vp)
      // A WeCom robot (this machine has no way out: the send fails and the report says so).
      const sub = await api(office, 'POST', '/api/v1/subscriptions', {
        name: `校办${vp.width}`, kind: 'wecom', audience: 'school_office',
        url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=e2e', event_kinds: ['roster.published'],
      })
      assert(sub.status === 201, `subscribed: ${JSON.stringify(sub.body)}`)
      await page.goto(`${base}/office/duty/${rosterId}`)
      const panel = page.getByTestId('report-panel')
      await panel.getByTestId('report-none').waitFor()
      await panel.getByTestId('report-send-open').click()
      await visible(page.getByTestId('report-channel').filter({ hasText: `校办${vp.width}` })).click()
      await panel.getByTestId('report-row').first().waitFor()
      await panel.getByTestId('report-status').filter({ hasText: /发送中|已送达|失败，待重试|发送失败/ }).first().waitFor()
      await page.getByTestId('roster-report-mark').getByText(/标记线下报送/).waitFor()
      await shot(page, `office-roster-report-${vp.width}`)
      await checkLayout(page, `roster reported through a channel ${label}`)
      const list = await api(office, 'GET', `/api/v1/duty/rosters/${rosterId}/reports`)
      assert(list.status === 200 && list.body.length === 1 && list.body[0].channel_name === `校办${vp.width}`, `recorded: ${JSON.stringify(list.body)}`)
      await api(office, 'DELETE', `/api/v1/subscriptions/${sub.body.id}`)
    })

    await test(`desk ${label}: teacher2 asks to swap, teacher1 accepts, the office approves, both calendars change`, async () => {
      assert(rosterId, 'no roster from the previous flow')
      await page.setViewportSize(vp)
      const roster = (await api(office, 'GET', `/api/v1/duty/rosters/${rosterId}`)).body
      const shift = roster.shifts.find((s) => s.date === d('04-05') && s.post === 'duty_teacher')
      assert(shift && shift.user_id === user('teacher2').id, `teacher2 is not the duty teacher on 4/5: ${JSON.stringify(shift)}`)
      const t2 = await apiLogin(base, 'teacher2')
      const feed2 = await api(t2, 'POST', '/api/v1/duty/calendar-feed')
      const url2 = new URL(feed2.body.url, base).href
      const before2 = await ics(url2)
      assert(before2.includes(`${shift.id}@xiaoan`), `the shift is not in teacher2's calendar (${url2}): ${before2.slice(0, 600)}`)

      await login(page, base, 'teacher2')
      await page.goto(`${base}/teacher/shifts`)
      await page.getByTestId('my-shift').filter({ hasText: '值班教师' }).first().waitFor()
      await page.locator(`[data-testid="my-shift"][data-date="${d('04-05')}"]`).getByTestId('swap-ask').click()
      await page.getByTestId('swap-target').click()
      // Any colleague may be asked, not only those on this roster (the lookup gives name and role).
      await visible(page.getByRole('option', { name: user('teacher3').display_name })).waitFor()
      await visible(page.getByRole('option', { name: user('teacher1').display_name })).click()
      await page.getByTestId('swap-reason').locator('input').fill('家中有事')
      await page.getByTestId('swap-send').click()
      await page.getByTestId('swap').filter({ hasText: '等待对方同意' }).first().waitFor()
      await shot(page, `teacher2-swap-asked-${vp.width}`)

      await login(page, base, 'teacher1')
      await page.goto(`${base}/teacher/shifts`)
      const renew = page.getByTestId('feed-renew')
      await page.getByTestId('calendar-feed').getByText(/已开启|未开启/).waitFor()
      const again = (await renew.innerText()).includes('重新生成')
      await renew.click()
      // A link made before (the other viewport's run) is replaced only after a confirmation.
      if (again) await visible(page.locator('.van-dialog').getByRole('button', { name: '确认' })).click()
      const url1 = await page.getByTestId('feed-url').locator('textarea').inputValue()
      assert(url1.startsWith(base) && url1.includes('/api/v1/duty/calendar/'), `feed url: ${url1}`)
      await page.getByTestId('feed-qr').locator('svg').waitFor()
      assert(!(await ics(url1)).includes(`${shift.id}@xiaoan`), "teacher1's calendar has the shift before the swap")
      await shot(page, `teacher1-calendar-feed-${vp.width}`)
      await checkLayout(page, `my shifts with a swap to accept ${label}`)
      await page.getByTestId('swap').filter({ hasText: '等待对方同意' }).first().getByTestId('swap-accept').click()
      await page.getByTestId('swap').filter({ hasText: '等待保卫处批准' }).first().waitFor()

      await login(page, base, 'office')
      await page.goto(`${base}/office/duty`)
      const pending = page.getByTestId('swap-pending').filter({ hasText: user('teacher2').display_name })
      await pending.first().waitFor()
      await shot(page, `office-swap-to-approve-${vp.width}`)
      await pending.first().getByTestId('swap-approve').click()
      await pending.first().waitFor({ state: 'detached' })

      assert((await ics(url1)).includes(`${shift.id}@xiaoan`), "teacher1's calendar lacks the swapped shift")
      assert(!(await ics(url2)).includes(`${shift.id}@xiaoan`), "teacher2's calendar still has the swapped shift")
      await login(page, base, 'teacher1')
      await page.goto(`${base}/teacher/shifts`)
      await page.locator(`[data-testid="my-shift"][data-date="${d('04-05')}"]`).waitFor()
      await page.getByTestId('swap').filter({ hasText: '已换班' }).first().waitFor()
    })

    let planId = ''
    await test(`desk ${label}: the office writes a plan for the current semester with two items and submits it`, async () => {
      await page.setViewportSize(vp)
      const cur = (await api(office, 'GET', '/api/v1/semesters/current')).body
      await login(page, base, 'office')
      await page.goto(`${base}/office/plans`)
      await page.getByTestId('plan-new').click()
      await page.getByTestId('plan-title').locator('input').waitFor()
      await page.waitForFunction(() => document.querySelector('[data-testid="plan-title"] input')?.value)
      const title = await page.getByTestId('plan-title').locator('input').inputValue()
      assert(title.includes(cur.name), `default title not of the current semester: ${title}`)
      await page.getByTestId('plan-title').locator('input').fill(`${title}（${label}）`)
      await page.getByTestId('plan-create').click()
      await page.waitForURL((u) => /\/office\/plans\/[0-9a-f-]{36}$/.test(u.pathname))
      planId = page.url().split('/').pop()
      await page.getByTestId('item-title').locator('input').fill('开学安全大检查')
      await pick('item-owner', 'teacher1')
      await page.getByTestId('item-save').click()
      await page.getByText('月度工作安排（1 项）').waitFor()
      const second = cur.starts_on.slice(0, 7) === cur.ends_on.slice(0, 7) ? cur.starts_on.slice(0, 7) : `${cur.ends_on.slice(0, 7)}`
      await page.getByTestId('item-month').locator('input').fill(second)
      await page.getByTestId('item-title').locator('input').fill('防溺水安全教育')
      await pick('item-owner', 'guard1')
      await page.getByTestId('item-save').click()
      await page.getByText('月度工作安排（2 项）').waitFor()
      await shot(page, `office-plan-draft-${vp.width}`)
      await checkLayout(page, `plan draft ${label}`)
      await page.getByTestId('plan-submit').click()
      await page.getByTestId('plan-status').filter({ hasText: '待审批' }).waitFor()
      const p = (await api(office, 'GET', `/api/v1/plans/${planId}`)).body
      assert(p.semester === cur.code && p.items.length === 2 && p.items.every((i) => i.owner_id && i.due_date), `saved: ${JSON.stringify(p.items)}`)
    })

    await test(`desk ${label}: the principal returns the plan, sees what changed in the resubmission and approves it from the sticky bar`, async () => {
      assert(planId, 'no plan from the previous flow')
      await page.setViewportSize(vp)
      await login(page, base, 'principal')
      await page.goto(`${base}/principal/plans/${planId}`)
      const bar = page.getByTestId('plan-decide-bar')
      await bar.waitFor()
      await page.getByTestId('plan-changes').getByText('首次提交').waitFor()
      assert(!(await page.locator('[data-testid="plan-months"] .van-collapse-item__content').filter({ visible: true }).count()), 'the months are not collapsed')
      // The bar stays on screen wherever the page is scrolled.
      for (const y of [0, 100000]) {
        await page.evaluate((v) => {
          window.scrollTo(0, v)
          for (const el of document.querySelectorAll('.detail-pane')) el.scrollTop = v
        }, y)
        await page.waitForTimeout(200)
        const b = await bar.boundingBox()
        assert(b && b.y >= 0 && b.y + b.height <= vp.height + 1, `the bar is off screen at scroll ${y}: ${JSON.stringify(b)}`)
      }
      await shot(page, `principal-plan-sticky-bar-${vp.width}`)
      await checkLayout(page, `principal plan ${label}`)
      // Returned once, changed and resubmitted: the principal sees what changed.
      await bar.getByTestId('plan-return').click()
      await page.getByTestId('plan-return-comment').locator('textarea').fill('请补充寒假前的安全教育')
      await page.getByTestId('plan-return-send').click()
      await page.getByTestId('plan-status').filter({ hasText: '已退回' }).waitFor()
      await login(page, base, 'office')
      await page.goto(`${base}/office/plans/${planId}`)
      await page.getByText('请补充寒假前的安全教育').waitFor()
      await page.getByTestId('item-title').locator('input').fill('寒假前安全教育')
      await page.getByTestId('item-save').click()
      await page.getByText('月度工作安排（3 项）').waitFor()
      await page.getByTestId('plan-submit').click()
      await page.getByTestId('plan-status').filter({ hasText: '待审批' }).waitFor()
      await login(page, base, 'principal')
      await page.goto(`${base}/principal/plans/${planId}`)
      await page.getByTestId('plan-changes').getByText('新增 1 项').waitFor()
      await page.getByTestId('plan-changes').getByText('寒假前安全教育').waitFor()
      await shot(page, `principal-plan-changes-${vp.width}`)
      await bar.getByTestId('plan-approve').click()
      await page.getByTestId('plan-status').filter({ hasText: '已批准' }).waitFor()
      assert(!(await bar.count()), 'the bar stays after approval')
      const p = (await api(office, 'GET', `/api/v1/plans/${planId}`)).body
      assert(p.status === 'approved', `status ${p.status}`)
    })
  }

  await test("desk: the office copies last term's plan into this semester and links the 清明节 roster as evidence", async () => {
    await page.setViewportSize(PHONE)
    const cur = (await api(office, 'GET', '/api/v1/semesters/current')).body
    await login(page, base, 'office')
    await page.goto(`${base}/office/plans`)
    await page.getByTestId('plan-new').click()
    await page.waitForFunction(() => document.querySelector('[data-testid="plan-title"] input')?.value)
    await page.getByTestId('plan-how').getByText('复制上学期的工作计划').click()
    await page.getByText('复制自').waitFor()
    await page.getByTestId('plan-title').locator('input').fill(`${cur.name}安全工作计划（复制）`)
    await page.getByTestId('plan-create').click()
    await page.waitForURL((u) => /\/office\/plans\/[0-9a-f-]{36}$/.test(u.pathname))
    const id = page.url().split('/').pop()
    const p = (await api(office, 'GET', `/api/v1/plans/${id}`)).body
    assert(p.status === 'draft' && p.semester === cur.code && p.items.length > 0, `copied: ${p.status} ${p.semester} ${p.items.length}`)
    assert(p.items.every((i) => i.month >= cur.starts_on.slice(0, 7) && i.month <= cur.ends_on.slice(0, 7)), 'months not moved into the semester')
    await page.locator('[data-testid="plan-months"] .van-collapse-item__title').first().click()
    await visible(page.getByTestId('item-evidence')).first().click()
    await visible(page.locator('.van-popup .van-cell').filter({ hasText: '清明节值班表' })).first().click()
    await page.getByText('值班表：清明节值班表').first().waitFor()
    await shot(page, 'office-plan-copied-evidence')
    const after = (await api(office, 'GET', `/api/v1/plans/${id}`)).body
    assert(after.items.some((i) => i.evidence.some((e) => e.entity_type === 'duty_roster')), 'no evidence saved')
  })

  await test('desk 1366×768: hazards, people and visits as tables; two hazards assigned at once; a record opens beside the list', async () => {
    await page.setViewportSize(LAPTOP)
    const t1 = await apiLogin(base, 'teacher1')
    const stamp = Date.now() % 100000
    const ids = []
    for (const place of [`实训楼三楼走廊 ${stamp}`, `食堂后门 ${stamp}`]) {
      const h = await api(t1, 'POST', '/api/v1/hazards', { category: 'facility', location: place, description: `灭火器箱门损坏 ${place}` })
      assert(h.status === 201, `report: ${h.status}`)
      ids.push(h.body.id)
    }
    await login(page, base, 'office')
    await page.goto(`${base}/office/hazards`)
    const table = page.getByTestId('hazard-table')
    for (const id of ids) await table.locator(`[data-testid="hazard-pick"][value="${id}"]`).check()
    await page.getByTestId('bulk-owner').click()
    await visible(page.getByRole('option', { name: user('guard1').display_name })).click()
    await page.getByTestId('bulk-assign').click()
    await page.getByTestId('hazard-bulk').waitFor({ state: 'detached' })
    for (const id of ids) {
      const h = (await api(office, 'GET', `/api/v1/hazards/${id}`)).body
      assert(h.status === 'assigned' && h.owner_id === user('guard1').id, `not assigned: ${h.status} ${h.owner_id}`)
    }
    await page.getByRole('tab', { name: '整改中' }).click()
    await table.getByRole('link', { name: new RegExp(`灭火器箱门损坏 实训楼三楼走廊 ${stamp}`) }).click()
    await page.getByTestId('hazard-description').filter({ hasText: `实训楼三楼走廊 ${stamp}` }).waitFor()
    assert(page.url().includes('/office/hazards?') && page.url().includes(`open=${ids[0]}`), `the record did not open beside the list: ${page.url()}`)
    await shot(page, 'desk-hazards-table')
    await checkLayout(page, 'desk hazards table')

    await page.goto(`${base}/office/people`)
    await page.getByTestId('students-table').getByTestId('student-row').first().waitFor()
    await page.getByTestId('student-row').first().getByRole('button').click()
    await page.getByTestId('student-detail').waitFor()
    await page.getByRole('tab', { name: '账号' }).click()
    await page.getByTestId('users-role').selectOption('guard')
    await page.getByTestId('users-table').getByText(user('guard2').display_name).waitFor()
    const roles = await page.getByTestId('user-row').locator('td:nth-child(3)').allInnerTexts()
    assert(roles.length >= 2 && roles.every((r) => r === '保安'), `role filter: ${roles}`)
    await page.getByTestId('user-row').filter({ hasText: user('guard1').display_name }).getByRole('button').click()
    await page.getByTestId('user-detail').getByText(user('guard1').username).waitFor()
    await shot(page, 'desk-people-users')

    await page.goto(`${base}/office/visitors`)
    await page.getByRole('tab', { name: '来访记录' }).click()
    await page.getByTestId('visits-table').waitFor()
    await shot(page, 'desk-visits-table')
  })

  await test('accessibility of the desk at 1366×768: side menu and every desk page (axe-core)', async () => {
    await page.setViewportSize(LAPTOP)
    const failures = []
    for (const [u, paths] of [
      ['office', ['desk', 'duty', 'plans', 'hazards', 'people', 'visitors', 'shifts']],
      ['principal', ['desk', 'plans', 'duty', 'hazards', 'shifts']],
    ]) {
      await login(page, base, u)
      const area = u === 'office' ? 'office' : 'principal'
      for (const p of paths) {
        await page.goto(`${base}/${area}/${p}`)
        await page.waitForLoadState('networkidle').catch(() => undefined)
        await page.getByTestId('desk-menu').waitFor()
        try {
          await shot(page, `desk-a11y-${area}-${p}`)
        } catch (e) {
          failures.push(String(e?.message ?? e))
        }
      }
    }
    await page.setViewportSize(PHONE)
    assert(!failures.length, failures.join('\n    '))
  })
  await page.setViewportSize(PHONE)
}
