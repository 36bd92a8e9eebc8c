// Gate flows in the browser (issue 14, "The gate"): a QR held in front of the guard's camera
// is checked once, its 放行 stays while the QR is in view, and it never turns into 禁止.
// Called from run.mjs with its helpers.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Issues an exit-only pass for the `n`th student of teacher1's class; returns the pass. */
async function issuePass(base, apiLogin, n) {
  const tok = await apiLogin(base, 'teacher1')
  const me = await (await fetch(`${base}/api/v1/me`, { headers: { Authorization: `Bearer ${tok}` } })).json()
  const st = await (await fetch(`${base}/api/v1/students?class_id=${me.class_ids[0]}&limit=20`, { headers: { Authorization: `Bearer ${tok}` } })).json()
  const r = await fetch(`${base}/api/v1/leave-passes`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ student_id: st.items[n].id, kind: 'exit_only', reason: '病假', valid_until: new Date(Date.now() + 3600000).toISOString() }),
  })
  if (!r.ok) throw new Error(`issue pass: ${r.status} ${await r.text()}`)
  const pass = await r.json()
  const svg = await (await fetch(`${base}/api/v1/leave-passes/${pass.id}/qr.svg`, { headers: { Authorization: `Bearer ${tok}` } })).text()
  return { pass, svg }
}

/** A looping fake-camera video of the QR (`size` px on a 640×480 white frame). */
async function qrVideo(ctx, svg, dir, size = 300) {
  const p = await ctx.newPage()
  await p.setViewportSize({ width: size, height: size })
  await p.setContent(`<meta name="viewport" content="width=device-width,initial-scale=1"><body style="margin:0;background:#fff">${svg.replace(/\swidth="\d+"/, ` width="${size}"`).replace(/\sheight="\d+"/, ` height="${size}"`)}</body>`)
  await p.screenshot({ path: join(dir, 'qr.png'), clip: { x: 0, y: 0, width: size, height: size }, scale: 'css' })
  await p.close()
  const x = Math.round((640 - size) / 2)
  const y = Math.round((480 - size) / 2)
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-loop', '1', '-i', join(dir, 'qr.png'), '-vf', `pad=640:480:${x}:${y}:white,format=yuv420p`, '-r', '10', '-t', '2', join(dir, 'qr.y4m')])
  return join(dir, 'qr.y4m')
}

export async function gateFlows({ test, assert, base, ctx, ctxOpts, chromium, login, apiLogin, shot }) {
  await test('guard1 holds a QR to the camera for 15 s: one scan recorded, 放行 stays, never 禁止', async () => {
    const { pass, svg } = await issuePass(base, apiLogin, 8)
    const dir = mkdtempSync(join(tmpdir(), 'xiaoan-qr-hold-'))
    const video = await qrVideo(ctx, svg, dir)
    const camProfile = mkdtempSync(join(tmpdir(), 'xiaoan-chromium-hold-'))
    const cam = await chromium.launchPersistentContext(camProfile, {
      ...ctxOpts(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`]),
      permissions: ['camera'],
    })
    try {
      const cp = cam.pages()[0] ?? (await cam.newPage())
      cp.setDefaultTimeout(15000)
      await login(cp, base, 'guard1')
      await cp.getByTestId('dir-exit').click()
      const v = cp.getByTestId('verdict')
      await v.waitFor()
      assert((await v.getAttribute('data-kind')) === 'allow', `first camera verdict: ${await v.textContent()}`)
      // Every verdict shown while the QR stays in view, sampled for 15 s.
      const kinds = await cp.evaluate(
        () =>
          new Promise((resolve) => {
            const seen = []
            const t = setInterval(() => {
              const el = document.querySelector('[data-testid="verdict"]')
              seen.push(el ? el.getAttribute('data-kind') : 'none')
            }, 200)
            setTimeout(() => {
              clearInterval(t)
              resolve(seen)
            }, 15000)
          }),
      )
      await shot(cp, 'guard-camera-held-15s')
      assert(!kinds.includes('deny'), `a pass this phone allowed was shown as 禁止: ${kinds.join(',')}`)
      assert(kinds.every((k) => k === 'allow'), `the verdict did not stay while the QR was in view: ${kinds.join(',')}`)
      const office = await apiLogin(base, 'office')
      const log = await (await fetch(`${base}/api/v1/gate/scans?pass_id=${pass.id}`, { headers: { Authorization: `Bearer ${office}` } })).json()
      assert(log.items.length === 1, `${log.items.length} scans recorded: ${log.items.map((s) => `${s.result}/${s.code}`).join(', ')}`)
      assert(log.items[0].result === 'allow', `recorded: ${JSON.stringify(log.items[0])}`)
      // The guard taps: the next scan may start (the QR is still there: not checked again).
      await v.click()
      await v.waitFor({ state: 'detached' })
      await cp.waitForTimeout(1500)
      const again = await (await fetch(`${base}/api/v1/gate/scans?pass_id=${pass.id}`, { headers: { Authorization: `Bearer ${office}` } })).json()
      assert(again.items.length === 1, `after the tap: ${again.items.length} scans`)
    } finally {
      await cam.close()
      rmSync(camProfile, { recursive: true, force: true })
      rmSync(dir, { recursive: true, force: true })
    }
  })

  await test('the teacher sees the pass\'s 8-character code under the QR; the guard types it and finds the student by name', async () => {
    const page = ctx.pages()[0]
    const { pass } = await issuePass(base, apiLogin, 9)
    assert(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/.test(pass.short_code ?? ''), `short code: ${pass.short_code}`)
    await login(page, base, 'teacher1')
    await page.goto(`${base}/teacher/passes/${pass.id}`)
    const shown = page.getByTestId('pass-short-code')
    await shown.waitFor()
    const text = (await shown.textContent()).replace(/\s/g, '')
    assert(text.includes(pass.short_code), `under the QR: ${text}`)
    await shot(page, 'teacher-pass-short-code')

    await login(page, base, 'guard1')
    await page.getByTestId('find-pass').fill(pass.student_name.slice(0, 2))
    await page.getByTestId('find-submit').click()
    const hit = page.getByTestId('find-hit').filter({ hasText: pass.student_name })
    await hit.first().waitFor()
    const hitText = await hit.first().textContent()
    assert(hitText.includes('未出校') && !hitText.includes(pass.student_no), `search hit: ${hitText}`)
    await shot(page, 'guard-find-pass')
    await page.getByTestId('dir-exit').click()
    // Typed as a person would: lower case, with a space.
    await page.getByTestId('manual-token').fill(`${pass.short_code.slice(0, 4).toLowerCase()} ${pass.short_code.slice(4)}`)
    await page.getByTestId('manual-submit').click()
    const v = page.getByTestId('verdict')
    await v.waitFor()
    const vt = await v.textContent()
    assert((await v.getAttribute('data-kind')) === 'allow' && vt.includes(pass.student_name), `typed code: ${vt}`)
    await shot(page, 'guard-typed-code-allow')
    await v.click()
    await v.waitFor({ state: 'detached' })
  })
}
