// Browser tests for leadership and duties (issue 19): a class teacher signs this semester's
// 责任书 from 待确认 on a phone, and the office sees the signature in the letter's tally on a
// desk. Called from run.mjs with its helpers.

export async function dutiesFlows({ test, page, base, login, shot, checkLayout, assert }) {
  await test('duties: teacher1 signs the semester letter from 待确认 (390×844); the office sees it signed (desk)', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await login(page, base, 'teacher1')
    await page.goto(`${base}/teacher/me`)
    await page.getByTestId('me-acknowledge').click()
    const letter = page.getByTestId('ack-letter')
    await letter.waitFor()
    assert((await letter.innerText()).includes('安全目标责任书'), 'the letter is listed to sign')
    await shot(page, 'duties-ack-phone')
    await checkLayout(page, '待确认')
    await page.getByTestId('ack-sign-letter').click()
    await letter.waitFor({ state: 'detached' })
    // The rules to read stay listed until each is confirmed.
    await page.getByTestId('ack-rule_version').first().waitFor()

    await page.setViewportSize({ width: 1280, height: 800 })
    await login(page, base, 'office')
    await page.goto(`${base}/office/leadership`)
    await page.getByTestId('leader-member').first().waitFor()
    await page.getByTestId('letter').first().click()
    const signed = page.getByTestId('tally-signed').filter({ hasText: '李雪梅' })
    await signed.waitFor()
    await shot(page, 'duties-letter-tally-desk')
    await page.setViewportSize({ width: 390, height: 844 })
  })
}

/** 车辆疏导 (issue 19): the demo's 期末家长车辆疏导 item shows its traffic-post roster, and the
 * roster shows its places and the item it carries out (office, 390×844). */
export async function trafficFlows({ test, page, base, login, shot, checkLayout, assert }) {
  await test('traffic: the office opens 期末家长车辆疏导 and its traffic-post roster (390×844)', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await login(page, base, 'office')
    await page.goto(`${base}/office/plans`)
    await page.getByText('学期保卫处工作计划').first().click()
    const item = page.getByTestId('plan-item').filter({ hasText: '期末家长车辆疏导' })
    if (!(await item.first().isVisible())) {
      // The term's last month is collapsed: open it.
      await page.getByTestId('plan-months').getByText(/（\d+）/).last().click()
    }
    const link = item.first().getByTestId('item-roster')
    await link.waitFor()
    assert((await link.innerText()).includes('期末家长车辆疏导岗位表'), 'the item shows its roster')
    await shot(page, 'traffic-plan-item-phone')
    await link.getByRole('link').click()
    const fulfils = page.getByTestId('roster-plan-item')
    await fulfils.first().waitFor()
    assert((await fulfils.first().innerText()).includes('期末家长车辆疏导'), 'the roster shows the item')
    const shifts = await page.getByTestId('shift').allInnerTexts()
    assert(shifts.some((s) => s.includes('校门口东侧')) && shifts.some((s) => s.includes('校门口西侧')), 'places on the shifts')
    await checkLayout(page, '期末家长车辆疏导岗位表')
    await shot(page, 'traffic-roster-phone')
  })
}
