// Browser tests for vehicles and the office's public page (issue 19): a guard records a staff
// vehicle and a visitor's vehicle at 390×844, the office publishes an article and the public
// page (no sign-in) shows it. Called from run.mjs with its helpers.

export async function vehicleFlows({ test, page, base, login, shot, checkLayout, assert }) {
  await test('issue 19 vehicles: guard1 records a staff vehicle picked from the register and a visitor by typed plate', async () => {
    await login(page, base, 'guard1')
    await page.goto(`${base}/guard/vehicles`)
    const plate = page.getByTestId('vehicle-plate').locator('input')
    await plate.fill('苏e8a')
    // The demo's vehicle 苏E8A261 (张卫东) is offered as the plate is typed.
    await page.getByTestId('vehicle-pick-苏E8A261').click()
    await page.getByTestId('vehicle-known').filter({ hasText: '张卫东' }).waitFor()
    await page.getByTestId('vehicle-in').click()
    const last = page.getByTestId('vehicle-last')
    await last.filter({ hasText: '苏E8A261' }).waitFor()
    assert((await last.innerText()).includes('入校'), await last.innerText())
    await plate.fill('沪b·77889')
    await page.getByTestId('vehicle-unknown').waitFor()
    await page.getByTestId('vehicle-out').click()
    await last.filter({ hasText: '沪B77889' }).waitFor()
    assert((await last.innerText()).includes('访客车辆'), await last.innerText())
    await page.getByTestId('vehicle-entry').filter({ hasText: '沪B77889' }).first().waitFor()
    // A malformed plate is refused with the reason, and what was typed stays.
    await plate.fill('苏E12')
    await page.getByTestId('vehicle-in').click()
    await page.getByText('车牌号格式不正确').first().waitFor()
    assert((await plate.inputValue()) === '苏E12', 'the typed plate was cleared')
    await shot(page, 'guard-vehicles')
    await checkLayout(page, 'guard vehicles')
  })

  await test('issue 19 public page: the office publishes an article and anyone reads it without signing in', async () => {
    await login(page, base, 'office')
    await page.goto(`${base}/office/articles`)
    const title = `防范电信诈骗提示 ${Date.now() % 100000}`
    await page.getByTestId('article-title').locator('input').fill(title)
    await page.getByTestId('article-body').locator('textarea').fill('不要向陌生人透露验证码。\n\n遇到可疑电话请报告保卫处。')
    await page.getByTestId('article-save').click()
    const row = page.locator('.van-cell').filter({ hasText: title })
    await row.first().waitFor()
    await row.first().click()
    await page.getByTestId('article-publish').filter({ hasText: '发布' }).click()
    await page.getByTestId('article-publish').filter({ hasText: '撤下' }).waitFor()
    await shot(page, 'office-articles')
    await checkLayout(page, 'office articles')
    // No sign-in: a plain request gets the page with the article.
    const r = await fetch(`${base}/public/`)
    assert(r.status === 200 && (await r.text()).includes(title), `public page: ${r.status}`)
    await page.goto(`${base}/public/`)
    await page.getByRole('link', { name: title }).click()
    await page.getByText('不要向陌生人透露验证码。').waitFor()
    await shot(page, 'public-article')
  })
}
