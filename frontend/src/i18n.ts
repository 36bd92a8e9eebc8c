// vue-i18n with 简体中文 built in and English loaded on demand (keeps the guard's first load small).
import { createI18n } from 'vue-i18n'
import zhCN from './locales/zh-CN.json'
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
