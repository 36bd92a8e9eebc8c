// vue-i18n with 简体中文 built in and English loaded on demand (keeps the guard's first load small).
// The zh-CN messages come in two parts (src/locales/split.ts): the first screen's, and the rest
// loaded right after it and awaited before any other page opens.
import { createI18n } from 'vue-i18n'
import zhCN from 'virtual:zh-core'
import { Locale } from 'vant'
import vantZh from 'vant/es/locale/lang/zh-CN'

export type AppLocale = 'zh-CN' | 'en-US'
const KEY = 'xiaoan.locale'

export const i18n = createI18n({
  legacy: false,
  locale: 'zh-CN' as string,
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN } as Record<string, typeof zhCN>,
  missingWarn: false,
  fallbackWarn: false,
})

let deferred: Promise<void> | undefined

/** The page-specific zh-CN messages; loaded once (a failed load is tried again next time). */
export function loadDeferredMessages(): Promise<void> {
  deferred ??= import('virtual:zh-deferred').then(
    (m) => i18n.global.mergeLocaleMessage('zh-CN', m.default as typeof zhCN),
    (e: unknown) => {
      deferred = undefined
      throw e
    },
  )
  return deferred
}

export async function setLocale(l: AppLocale): Promise<void> {
  if (l === 'en-US' && !i18n.global.availableLocales.includes('en-US')) {
    const [msgs, vantEn] = await Promise.all([
      import('./locales/en-US.json'),
      import('vant/es/locale/lang/en-US'),
    ])
    i18n.global.setLocaleMessage('en-US', msgs.default as typeof zhCN)
    Locale.add({ 'en-US': vantEn.default })
  }
  i18n.global.locale.value = l
  Locale.use(l, l === 'zh-CN' ? vantZh : undefined)
  document.documentElement.lang = l
  try {
    localStorage.setItem(KEY, l)
  } catch {
    /* private mode */
  }
}

export function savedLocale(): AppLocale {
  try {
    return localStorage.getItem(KEY) === 'en-US' ? 'en-US' : 'zh-CN'
  } catch {
    return 'zh-CN'
  }
}
