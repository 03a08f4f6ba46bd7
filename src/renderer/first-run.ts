// The first-run panel of the queue window: connect (pasted connection text or URL + key), sign in, hear a
// test alert, start at login (on by default), then the checks. It only talks to window.bayalert.host; the
// main process judges every value (the same settings rules as the settings form) and decides which step
// the panel opens on. Text from the main process goes into the DOM through textContent only.
import { parseConnectionString } from '../shared/connection-string.js'
import type { BayAlertHostApi, Check, FieldProblems, FirstRunStep, SettingsView } from '../shared/ipc.js'

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

function show(step: FirstRunStep): void {
  for (const s of document.querySelectorAll<HTMLElement>('#first-run .fr-step')) s.hidden = s.dataset.step !== step
  $('first-run').dataset.step = step
}

function problem(id: string, text: string): void {
  const p = $(id)
  p.textContent = text
  p.hidden = text === ''
}

function fieldProblems(fields: FieldProblems): void {
  problem('fr-url-problem', fields.supabaseUrl ?? '')
  problem('fr-key-problem', fields.anonKey ?? '')
}

function renderChecks(checks: Check[]): void {
  $('fr-checks').replaceChildren(
    ...checks.map((c) => {
      const li = document.createElement('li')
      li.dataset.status = c.status
      li.dataset.check = c.name
      li.textContent = `${c.name}: ${c.detail}`
      return li
    }),
  )
}

/** Opens the panel if the main process says first run is needed. `signedIn` reads the latest snapshot. */
export async function startFirstRun(host: BayAlertHostApi, signedIn: () => boolean): Promise<void> {
  const state = await host.getFirstRunState()
  if (!state.step) return
  const panel = $('first-run')
  panel.hidden = false
  document.body.dataset.firstRun = 'yes'
  const login = $('fr-login') as HTMLInputElement
  login.checked = state.startAtLoginDefault
  login.disabled = !state.loginItemSupported
  $('fr-login-note').hidden = state.loginItemSupported
  let soundHeard: boolean | null = null
  let settings: SettingsView | null = null
  void host.getSettings().then((v) => {
    settings = v
    ;($('fr-url') as HTMLInputElement).value = v.supabaseUrl
    ;($('fr-email') as HTMLInputElement).value = v.email
  })
  show(state.step)

  $('fr-connect').addEventListener('click', () => {
    void (async () => {
      problem('fr-paste-problem', '')
      const notes = $('fr-notes')
      notes.hidden = true
      const pasted = ($('fr-paste') as HTMLTextAreaElement).value
      if (pasted.trim()) {
        const parsed = parseConnectionString(pasted)
        if (!parsed.ok) return problem('fr-paste-problem', parsed.problem)
        ;($('fr-url') as HTMLInputElement).value = parsed.supabaseUrl
        ;($('fr-key') as HTMLInputElement).value = parsed.anonKey
        // The paste may hold a service-role key or passwords: it is not kept on screen either.
        ;($('fr-paste') as HTMLTextAreaElement).value = ''
        notes.textContent = parsed.notes.join(' ')
        notes.hidden = parsed.notes.length === 0
      }
      const r = await host.saveSettings({
        supabaseUrl: ($('fr-url') as HTMLInputElement).value.trim(),
        anonKey: ($('fr-key') as HTMLInputElement).value.trim(),
        email: settings?.email ?? '',
        soundEnabled: settings?.soundEnabled ?? true,
      })
      if (!r.ok) {
        fieldProblems(r.fields)
        if (!r.fields.supabaseUrl && !r.fields.anonKey) problem('fr-paste-problem', r.problems.join(' '))
        return
      }
      settings = r.settings
      fieldProblems({})
      show(signedIn() ? 'test-alert' : 'sign-in')
    })().catch((e) => problem('fr-paste-problem', `Could not connect: ${e instanceof Error ? e.message : String(e)}`))
  })

  $('fr-signin').addEventListener('click', () => {
    const pw = $('fr-password') as HTMLInputElement
    const email = ($('fr-email') as HTMLInputElement).value.trim()
    void host
      .signIn(email, pw.value)
      .then((r) => {
        pw.value = ''
        if (r.ok) {
          problem('fr-signin-problem', '')
          show('test-alert')
        } else problem('fr-signin-problem', `Sign-in failed: ${r.message}`)
      })
      .catch((e) => problem('fr-signin-problem', `Sign-in failed: ${e instanceof Error ? e.message : String(e)}`))
  })

  $('fr-test').addEventListener('click', () => {
    void host
      .testAlert()
      .then((r) => ($('fr-test-message').textContent = r.message))
      .catch((e) => ($('fr-test-message').textContent = `The test alert failed: ${String(e)}`))
      .finally(() => {
        ;($('fr-heard') as HTMLButtonElement).disabled = false
        ;($('fr-not-heard') as HTMLButtonElement).disabled = false
      })
  })
  const answer = (heard: boolean) => () => {
    soundHeard = heard
    show('finish')
  }
  $('fr-heard').addEventListener('click', answer(true))
  $('fr-not-heard').addEventListener('click', answer(false))

  $('fr-finish').addEventListener('click', () => {
    const button = $('fr-finish') as HTMLButtonElement
    button.disabled = true
    void host
      .finishFirstRun({ startAtLogin: login.checked, soundHeard })
      .then((checks) => {
        renderChecks(checks)
        $('fr-done').hidden = false
      })
      .catch((e) => renderChecks([{ name: 'checks', status: 'fail', detail: `Could not run the checks: ${String(e)}` }]))
      .finally(() => (button.disabled = false))
  })
  $('fr-done').addEventListener('click', () => {
    panel.hidden = true
    document.body.dataset.firstRun = 'no'
  })
}
