// Browser tests for the records screens (issue 16): the office posts a 通报 to class teachers and
// sees teacher1's read receipt once teacher1 has opened it; the office registers an expected
// visitor and guard1 checks them in with one tap; the office records a drill with two classes.
// Every flow runs at a phone (390×844) and at a laptop (1366×768, the desk layout). Called from
// run.mjs with its helpers.

const PHONE = { width: 390, height: 844 }
const LAPTOP = { width: 1366, height: 768 }

export async function recordsFlows({ test, page, base, login, shot, checkLayout, assert, apiLogin }) {
  const get = async (token, path) => (await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } })).json()
  const office = await apiLogin(base, 'office')
  const users = (await get(office, '/api/v1/users?limit=100')).items
  const teacher1 = users.find((u) => u.username === 'teacher1')
  const classes = await get(office, '/api/v1/classes')
  assert(classes.length >= 2, 'the demo school has at least two classes')
  const visible = (loc) => loc.filter({ visible: true })

  for (const [label, vp] of [['390×844', PHONE], ['1366×768', LAPTOP]]) {
    const wide = vp.width >= 1024

    await test(`records ${label}: the office posts a 通报 to class teachers and sees teacher1's read receipt`, async () => {
      const title = `安全检查通报 ${label}`
      await page.setViewportSize(vp)
      await login(page, base, 'office')
      await page.goto(`${base}/office/announcements`)
      if (wide) await page.getByTestId('desk-menu').getByRole('link', { name: '通报' }).waitFor()
      await page.getByTestId('announce-new').click()
      await page.getByTestId('announce-title').locator('input').fill(title)
      await page.getByTestId('announce-body').locator('textarea').fill('本周消防通道检查发现两处堵塞，请各班主任提醒学生。')
      assert(await page.getByTestId('announce-role-class_teacher').getAttribute('aria-checked') === 'true', 'class teachers are chosen by default')
      await checkLayout(page, `announcement form ${label}`)
      await page.getByTestId('announce-send').click()
      await page.waitForURL((u) => /\/office\/announcements\/[0-9a-f-]{36}$/.test(u.pathname))
      const receipts = page.getByTestId('receipts')
      await receipts.waitFor()
      const row = () => receipts.getByTestId('receipt').filter({ hasText: teacher1.display_name })
      assert((await row().innerText()).includes('未读'), 'teacher1 has not read it yet')
      await shot(page, `announcement-sent-${label}`)

      await login(page, base, 'teacher1')
      await page.goto(`${base}/teacher/announcements`)
      const item = visible(page.getByTestId('announcement')).filter({ hasText: title })
      assert((await item.innerText()).includes('未读'), 'unread for teacher1')
      await item.getByText(title).click()
      await page.getByTestId('announce-detail').getByText('本周消防通道检查').waitFor()
      await checkLayout(page, `announcement read ${label}`)

      await login(page, base, 'office')
      await page.goto(`${base}/office/announcements`)
      await visible(page.getByTestId('announcement')).filter({ hasText: title }).getByText(title).click()
      await receipts.waitFor()
      await row().getByText('已读').waitFor()
      await shot(page, `announcement-receipts-${label}`)
    })

    await test(`records ${label}: the office registers an expected visitor and guard1 checks them in with one tap`, async () => {
      const name = `王访客${wide ? '乙' : '甲'}`
      await page.setViewportSize(vp)
      await login(page, base, 'office')
      await page.goto(`${base}/office/visitors`)
      await page.getByRole('tab', { name: '预约来访' }).click()
      await page.getByTestId('expected-name').locator('input').fill(name)
      await page.getByTestId('expected-org').locator('input').fill('市消防支队')
      await page.getByTestId('expected-reason').locator('input').fill('消防检查')
      assert((await page.getByTestId('expected-host').locator('input').inputValue()).length > 0, 'the host defaults to the signed-in person')
      await checkLayout(page, `expected visitor form ${label}`)
      await page.getByTestId('expected-save').click()
      await page.getByTestId('expected-row').filter({ hasText: name }).waitFor()

      await login(page, base, 'guard1')
      await page.goto(`${base}/guard/visitors`)
      await page.getByRole('tab', { name: '今日预约' }).click()
      const row = visible(page.getByTestId('expected-visitor')).filter({ hasText: name })
      await row.getByTestId('expected-checkin').click()
      await row.getByText('已到').waitFor()
      await shot(page, `expected-checked-in-${label}`)

      // Back at the desk: the visitor is on campus and leaves with a per-visitor check-out.
      await login(page, base, 'office')
      await page.goto(`${base}/office/visitors`)
      const onCampus = page.getByTestId('on-campus').filter({ hasText: name })
      await onCampus.getByRole('button', { name: `离校 ${name}` }).click()
      await onCampus.waitFor({ state: 'detached' })
    })

    await test(`records ${label}: the office records a drill with two classes`, async () => {
      const topic = `消防疏散演练 ${label}`
      await page.setViewportSize(vp)
      await login(page, base, 'office')
      await page.goto(`${base}/office/activities`)
      await page.getByTestId('activity-new').click()
      assert((await page.getByTestId('activity-kind').getByRole('radio', { name: '演练' }).getAttribute('aria-checked')) === 'true', 'a drill by default')
      await page.getByTestId('activity-topic').locator('input').fill(topic)
      await page.getByTestId('activity-classes-pick').click()
      for (const c of classes.slice(0, 2)) await visible(page.getByTestId(`pick-${c.name}`)).click()
      await visible(page.getByTestId('pick-done')).click()
      await page.waitForTimeout(350)
      await page.getByTestId('activity-count').locator('input').fill('86')
      await checkLayout(page, `drill form ${label}`)
      await page.getByTestId('activity-save').click()
      await page.waitForURL((u) => /\/office\/activities\/[0-9a-f-]{36}$/.test(u.pathname))
      const shown = await page.getByTestId('activity-classes').innerText()
      for (const c of classes.slice(0, 2)) assert(shown.includes(c.name), `class ${c.name} on the record`)
      if (wide) await page.getByTestId('activities').getByText(topic).waitFor()
      await shot(page, `drill-recorded-${label}`)
    })
  }
}
