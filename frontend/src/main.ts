import { createApp } from 'vue'
import { createPinia } from 'pinia'
import 'vant/es/style/base.css'
import 'vant/es/toast/style'
import 'vant/es/dialog/style'
import 'vant/es/notify/style'
import './styles.css'
import App from './App.vue'
import { router } from './router'
import { i18n, loadDeferredMessages, savedLocale, setLocale } from './i18n'
import { onSignedOut } from './api/client'
import { installA11yFixes } from './a11y'

const app = createApp(App)
app.use(createPinia()).use(i18n).use(router)
onSignedOut(() => {
  if (router.currentRoute.value.name !== 'login') void router.replace({ name: 'login' })
})
void setLocale(savedLocale()).finally(() => {
  app.mount('#app')
  // The scan page opens without them; fetch the rest of the messages while the guard looks.
  void loadDeferredMessages().catch(() => undefined)
})
installA11yFixes()

// The installed app opens with no network once it has been opened online (see sw/sw.js).
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch(() => undefined)
  })
}
