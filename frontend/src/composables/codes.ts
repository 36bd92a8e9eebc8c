// A stable code from the API (status, category, post …) as words: never the raw code on screen.
// A code the locale files do not know yet reads 其他 / Other (the locale test keeps the known
// enums complete).
import { useI18n } from 'vue-i18n'

export function useCodeLabel() {
  const { t, te } = useI18n()
  return (prefix: string, code: string | null | undefined): string => {
    if (code == null || code === '') return ''
    return te(`${prefix}.${code}`) ? t(`${prefix}.${code}`) : t('common.otherCode')
  }
}
