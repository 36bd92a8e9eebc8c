// Sign-in flows in the browser (issue 15 #16, issue 14): the refresh token is an HttpOnly cookie
// that Chromium keeps on http://127.0.0.1 and the page never sees; the binary's CSP lets the SPA
// and Swagger UI run; five wrong passwords say until when the account is locked.

/** Runs the flows with run.mjs's helpers. */
export async function authFlows({ test, page, base, login, signOut, shot, assert }) {
  const cspErrors = []
  page.on('console', (m) => {
    // Vant's icon font names a CDN copy after its inline (data:) one; the policy blocking that
    // request is the point (the icons come from the inline font), so it is not a failure.
    if (/Content Security Policy/i.test(m.text()) && !/font-src.*|at\.alicdn\.com/.test(m.text())) cspErrors.push(m.text())
  })

  await test('the refresh token is an HttpOnly cookie, never in the page', async () => {
    await login(page, base, 'guard1')
    const stored = await page.evaluate(() => localStorage.getItem('xiaoan.session'))
    assert(stored && !('refresh' in JSON.parse(stored)), `refresh token in localStorage: ${stored}`)
    const cookies = await page.context().cookies(base + '/api/v1/auth/refresh')
    const c = cookies.find((x) => x.name === 'xiaoan_refresh')
    assert(c, `no refresh cookie kept by the browser: ${JSON.stringify(cookies)}`)
    assert(c.httpOnly && c.secure && c.sameSite === 'Strict' && c.path === '/api/v1/auth', `cookie attributes: ${JSON.stringify(c)}`)
    assert(!(await page.evaluate(() => document.cookie)).includes('xiaoan_refresh'), 'the page can read the refresh cookie')
    // A reload with an expired access token refreshes through the cookie.
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('xiaoan.session'))
      s.access = 'expired.or.garbage'
      localStorage.setItem('xiaoan.session', JSON.stringify(s))
    })
    // A page that calls the API: the 401 makes the SPA refresh through the cookie.
    await page.goto(`${base}/guard/visitors`)
    await page.waitForFunction(() => JSON.parse(localStorage.getItem('xiaoan.session') ?? '{}').access !== 'expired.or.garbage')
    await page.goto(`${base}/guard/me`)
    await page.getByTestId('sign-out').waitFor()
    const after = (await page.context().cookies(base + '/api/v1/auth/refresh')).find((x) => x.name === 'xiaoan_refresh')
    assert(after && after.value !== c.value, 'the cookie did not rotate')
    // Signing out clears it.
    await page.getByTestId('sign-out').click()
    await page.waitForURL((u) => u.pathname === '/login')
    const left = (await page.context().cookies(base + '/api/v1/auth/refresh')).find((x) => x.name === 'xiaoan_refresh')
    assert(!left, `refresh cookie left after sign-out: ${JSON.stringify(left)}`)
  })

  await test('five wrong passwords say until when the account is locked', async () => {
    await signOut(page, base)
    // teacher4: an account no other flow signs in with (the lock lasts 15 minutes).
    await page.locator('input[name="username"]').fill('teacher4')
    for (let i = 0; i < 6; i++) {
      await page.locator('input[name="password"]').fill(`wrong-${i}`)
      const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'))
      await page.getByTestId('login-submit').click()
      await answered
    }
    const msg = page.getByText(/账号已锁定，请于 \d\d:\d\d 后再试/)
    await msg.waitFor()
    const text = await msg.textContent()
    // The time is the lock's end in the phone's time zone, about 15 minutes from now.
    const [, hh, mm] = text.match(/(\d\d):(\d\d)/)
    const shown = Number(hh) * 60 + Number(mm)
    const expected = await page.evaluate(() => {
      const d = new Date(Date.now() + 15 * 60000)
      return d.getHours() * 60 + d.getMinutes()
    })
    assert(Math.abs(((shown - expected + 1440 + 720) % 1440) - 720) <= 1, `shown ${text}, expected about ${expected}`)
    await shot(page, 'login-locked-until')
  })

  await test('Swagger UI works under its Content-Security-Policy', async () => {
    await page.goto(`${base}/swagger-ui/`)
    // The spec is large and the machine may be busy: give the first render time.
    await page.locator('.swagger-ui .info').waitFor({ timeout: 30000 })
    await page.locator('.opblock').first().waitFor({ timeout: 30000 })
    // No shot(): it runs the SPA's axe-core check, and Swagger UI is vendored third-party UI
    // (its own colours), for integrators rather than school staff.
  })

  await test('no Content-Security-Policy violations in the SPA or Swagger UI', async () => {
    await page.goto(`${base}/login`)
    await page.locator('input[name="username"]').waitFor()
    assert(!cspErrors.length, cspErrors.join('\n'))
  })
}
