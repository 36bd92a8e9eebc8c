// Runs a submit and keeps what was typed when it fails: the form shows why, and the user can
// retry the same action (a lost connection never clears a form).
import { ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { ApiError, errorMessage } from '../api/errors'

export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const { t, te } = useI18n()
  const busy = ref(false)
  const error = ref<string | null>(null)
  const network = ref(false)
  const fieldErrors = ref<ApiError['errors']>([])
  let lastArgs: A | null = null

  async function run(...args: A): Promise<R | undefined> {
    lastArgs = args
    busy.value = true
    error.value = null
    network.value = false
    fieldErrors.value = []
    try {
      return await fn(...args)
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(0, 'network')
      network.value = err.isNetwork
      error.value = err.isNetwork ? t('errors.networkKept') : errorMessage(err, t, te)
      fieldErrors.value = err.errors
      return undefined
    } finally {
      busy.value = false
    }
  }

  function retry() {
    return lastArgs ? run(...lastArgs) : Promise.resolve(undefined)
  }

  return { busy, error, network, fieldErrors, run, retry }
}
