// Browser tests for the equipment registry's security equipment (issue 19, 安防器材 and
// 报警装置): a guard records the gate alarm button's monthly test at 390×844, and the office's
// board shows the alarm devices with the overdue one. Called from run.mjs with its helpers.

import { tmpdir } from 'node:os'
import { join } from 'node:path'

export async function equipFlows({ test, page, base, login, shot, checkLayout, assert, apiLogin }) {
  await test('equip: guard1 records the gate alarm button test and the office sees the overdue alarm', async () => {
    const office = await apiLogin(base, 'office')
    const board = await (await fetch(`${base}/api/v1/fire/board?alarm=true&category=security`, { headers: { Authorization: `Bearer ${office}` } })).json()
    const button = board.items.find((i) => i.name === '一键报警按钮 门卫室')
    assert(button, 'demo alarm button missing')
    await login(page, base, 'guard1')
    await page.goto(`${base}/guard/fire/check/${button.id}`)
    await page.getByTestId('fire-period').filter({ hasText: '每月检查' }).waitFor()
    await page.getByTestId('fire-test-pass').click()
    await page.getByTestId('fire-reached-yes').click()
    // The photo is evidence here too.
    await page.getByTestId('fire-submit').click()
    await page.getByTestId('fire-errors').getByText('拍照').waitFor()
    const png = join(tmpdir(), `equip-photo-${Date.now()}.png`)
    await page.screenshot({ path: png, clip: { x: 0, y: 0, width: 200, height: 200 } })
    await page.locator('input[type=file]').setInputFiles(png)
    await page.locator('.van-uploader__preview').first().waitFor()
    await page.waitForFunction(() => !document.querySelector('.van-uploader__mask'))
    await page.getByTestId('fire-submit').click()
    await page.getByTestId('fire-check-done').waitFor()
    await page.getByText('已送达接收端').first().waitFor()
    await shot(page, 'guard-alarm-test')
    await checkLayout(page, 'alarm test')

    await login(page, base, 'office')
    await page.goto(`${base}/office/fire`)
    await page.getByTestId('fire-item').first().waitFor()
    await page.getByTestId('fire-tabs').getByText('报警装置').click()
    const dorm = page.getByTestId('fire-item').filter({ hasText: '一键报警按钮 宿舍值班室' })
    await dorm.getByTestId('fire-overdue').waitFor()
    const gate = page.getByTestId('fire-item').filter({ hasText: '一键报警按钮 门卫室' })
    await gate.filter({ hasText: '已送达接收端' }).waitFor()
    assert(!(await gate.getByTestId('fire-overdue').count()), 'the tested button is not overdue')
    assert(!(await page.getByTestId('fire-item').filter({ hasText: '对讲机' }).count()), 'a radio is not an alarm device')
    await shot(page, 'office-alarm-tests')
    await checkLayout(page, 'alarm tests')
    // The security tab lists the security equipment with its responsible person.
    await page.getByTestId('fire-tabs').getByText('安防器材').click()
    await page.getByTestId('fire-item').filter({ hasText: '防暴盾牌' }).filter({ hasText: '赵保国' }).waitFor()
    assert(!(await page.getByTestId('fire-item').filter({ hasText: '灭火器' }).count()), 'no fire equipment on the security tab')
  })
}
