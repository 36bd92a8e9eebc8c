// Accessible names and ARIA references that Vant 4 leaves out, fixed once for every page.
//
// Vant gives no prop for these: a popup's close icon and overlay, the stepper's − / + buttons and its input, the uploader's file
// input and preview images, the role="dialog" of Popup, ActionSheet and Toast (Dialog even puts
// its title *text* in aria-labelledby, which must be an id), aria-controls of a Tab that has no
// panel, List's role="feed" around buttons, the focusable content of a swiped-away tab panel, and
// the input inside a read-only picker field that is itself a button. One observer names them
// where they appear, in the current language, so pages added later are covered too
// (the browser tests run axe-core on every screen).
import { watch } from 'vue'
import { i18n } from './i18n'

const t = (key: string, args?: Record<string, unknown>) => (args ? i18n.global.t(key, args) : i18n.global.t(key))

let uid = 0
function idOf(el: Element): string {
  if (!el.id) el.id = `xa-a11y-${++uid}`
  return el.id
}

function hasName(el: Element): boolean {
  if (el.getAttribute('aria-label')?.trim()) return true
  const ref = el.getAttribute('aria-labelledby')
  return !!ref && ref.split(/\s+/).every((id) => document.getElementById(id)?.textContent?.trim())
}

function setAttr(el: Element, name: string, value: string) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value)
}

/** The visible label of the Vant cell (or field) a control sits in. */
function cellTitle(el: Element): Element | null {
  const cell = el.closest('.van-cell')
  const title = cell?.querySelector(':scope > .van-cell__title, :scope > .van-field__label')
  return title?.textContent?.trim() ? title : null
}

/** What the user last tapped, to name the sheet or popup that tap opened. */
let lastTapped = ''
function rememberTap(e: Event) {
  const target = e.target instanceof Element ? e.target : null
  const host = target?.closest('.van-cell, button, [role="button"]')
  if (!host || host.closest('[role="dialog"], [role="alertdialog"]')) return
  const label = (host.matches('.van-cell') && cellTitle(host)) || host
  lastTapped = (label.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40)
}

function nameDialog(d: Element) {
  // A toast is a status message, not a dialog.
  if (d.classList.contains('van-toast')) {
    setAttr(d, 'role', 'status')
    return
  }
  if (hasName(d)) return
  const heading = d.querySelector(
    '.van-dialog__header, .van-action-sheet__header, .van-picker__title, .van-nav-bar__title, .van-cell-group__title, h1, h2, h3, .van-action-sheet__description, .van-dialog__message',
  )
  if (heading?.textContent?.trim()) {
    d.removeAttribute('aria-label')
    setAttr(d, 'aria-labelledby', idOf(heading))
    return
  }
  d.removeAttribute('aria-labelledby')
  setAttr(d, 'aria-label', d.getAttribute('data-xa-name') || lastTapped || t(d.classList.contains('van-action-sheet') ? 'a11y.choose' : 'a11y.dialog'))
  // Keep the first name: a later tap must not rename an open sheet.
  setAttr(d, 'data-xa-name', d.getAttribute('aria-label') ?? '')
}

function fix(root: ParentNode) {
  // A popup's ✕ and its overlay are role="button" (both close it) without a name.
  for (const el of root.querySelectorAll('.van-popup__close-icon, .van-overlay[role="button"]')) setAttr(el, 'aria-label', t('a11y.close'))
  for (const el of root.querySelectorAll('.van-stepper__minus')) setAttr(el, 'aria-label', t('a11y.decrease'))
  for (const el of root.querySelectorAll('.van-stepper__plus')) setAttr(el, 'aria-label', t('a11y.increase'))
  for (const el of root.querySelectorAll('.van-stepper__input')) {
    const title = cellTitle(el)
    if (title) setAttr(el, 'aria-labelledby', idOf(title))
    else setAttr(el, 'aria-label', t('a11y.quantity'))
  }
  for (const el of root.querySelectorAll('input.van-uploader__input')) {
    const upload = el.closest('.van-uploader__upload')
    setAttr(el, 'aria-label', upload?.textContent?.trim() || t('photo.add'))
  }
  root.querySelectorAll('.van-uploader__preview-image img').forEach((img, i) => {
    if (!img.getAttribute('alt')) img.setAttribute('alt', t('a11y.photo', { n: i + 1 }))
  })
  for (const el of root.querySelectorAll('[role="switch"]')) {
    if (hasName(el)) continue
    const title = cellTitle(el)
    if (title) setAttr(el, 'aria-labelledby', idOf(title))
  }
  for (const el of root.querySelectorAll('[role="dialog"], [role="alertdialog"]')) nameDialog(el)
  for (const el of root.querySelectorAll('[role="tab"][aria-controls]')) {
    const id = el.getAttribute('aria-controls') ?? ''
    if (!document.getElementById(id)) el.removeAttribute('aria-controls')
  }
  // Vant's List says role="feed", whose children must be articles; ours are rows and buttons.
  for (const el of root.querySelectorAll('.van-list[role="feed"]')) el.removeAttribute('role')
  // A swipeable tab's hidden panels stay in the DOM with aria-hidden: keep their inputs out of
  // the focus order too.
  for (const el of root.querySelectorAll('.van-swipe-item[role="tabpanel"]')) {
    const hidden = el.getAttribute('aria-hidden') === 'true'
    if (hidden !== (el as HTMLElement).inert) (el as HTMLElement).inert = hidden
  }
  // A read-only picker field (is-link readonly) is a clickable cell, role="button", around a
  // focusable input: nested controls. The input, named by its <label>, is the control; the
  // cell's click opens the picker, and Enter or Space on the input does the same (onPickerKey).
  for (const el of root.querySelectorAll('.van-field.van-cell--clickable[role="button"]')) {
    if (!el.querySelector('input[readonly], textarea[readonly]')) continue
    el.removeAttribute('role')
    el.removeAttribute('tabindex')
  }
}

function onPickerKey(e: KeyboardEvent) {
  const el = e.target instanceof HTMLElement ? e.target : null
  if ((e.key !== 'Enter' && e.key !== ' ') || !el?.matches('input[readonly], textarea[readonly]')) return
  const cell = el.closest<HTMLElement>('.van-field.van-cell--clickable')
  if (!cell) return
  e.preventDefault()
  cell.click()
}

export function installA11yFixes() {
  let queued = false
  const run = () => {
    queued = false
    fix(document)
  }
  const schedule = () => {
    if (!queued) {
      queued = true
      queueMicrotask(run)
    }
  }
  new MutationObserver(schedule).observe(document.body, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ['role', 'aria-controls', 'aria-hidden', 'aria-labelledby', 'class', 'src'],
  })
  document.addEventListener('pointerdown', rememberTap, true)
  document.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && rememberTap(e), true)
  document.addEventListener('keydown', onPickerKey)
  watch(i18n.global.locale, () => {
    for (const el of document.querySelectorAll('.van-stepper__minus, .van-stepper__plus, input.van-uploader__input, .van-popup__close-icon, .van-overlay[role="button"]')) el.removeAttribute('aria-label')
    schedule()
  })
  schedule()
}
