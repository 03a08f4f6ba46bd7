// The "Alerts" panel of the queue window (Electron host only: headless takes no preferences): the request
// sound and its volume with a Test button, the repeat interval, when a wait turns amber and red, and the
// shop's dashboard link. Each field's problem shows next to it as the mechanic types (the same rules the main
// process applies on save, src/shared/alert-prefs.ts), and nothing is saved unless every field passes.
// Also the keeper of the preferences the rest of the window reads: the urgency thresholds and whether an
// "Open in dashboard" action exists.
import {
  checkAlertPrefs,
  DEFAULT_ALERT_PREFS,
  REQUEST_SOUND_LABEL,
  REQUEST_SOUNDS,
  urgencyThresholds,
  type AlertPrefs,
  type AlertPrefsField,
  type AlertPrefsProblems,
} from '../shared/alert-prefs.js'
import type { AlertPrefsView, BayAlertHostApi } from '../shared/ipc.js'
import type { UrgencyThresholds } from '../shared/urgency.js'

const FIELDS: readonly AlertPrefsField[] = ['sound', 'volume', 'repeatIntervalSec', 'amberAfterMin', 'redAfterMin', 'dashboardUrl']
const NUMERIC = new Set<AlertPrefsField>(['volume', 'repeatIntervalSec', 'amberAfterMin', 'redAfterMin'])

let current: AlertPrefs = { ...DEFAULT_ALERT_PREFS }
const listeners: Array<() => void> = []

/** The thresholds the cards and the wallboard colour waits by. */
export function currentUrgency(): UrgencyThresholds {
  return urgencyThresholds(current)
}

/** True when the shop's dashboard link is set: the cards then offer "Open in dashboard". */
export function dashboardEnabled(): boolean {
  return current.dashboardUrl !== ''
}

/** Called after the preferences changed (re-colour, show or hide the dashboard action). */
export function onAlertPrefsApplied(listener: () => void): void {
  listeners.push(listener)
}

function apply(view: AlertPrefsView): void {
  current = { ...view.prefs }
  for (const l of listeners) l()
}

const input = (field: AlertPrefsField) => document.getElementById(`p-${field}`) as HTMLInputElement | HTMLSelectElement
const problemEl = (field: AlertPrefsField) => document.getElementById(`p-${field}-problem`) as HTMLElement

function readForm(): Record<AlertPrefsField, unknown> {
  const out = {} as Record<AlertPrefsField, unknown>
  for (const f of FIELDS) {
    const raw = input(f).value.trim()
    out[f] = NUMERIC.has(f) ? (raw === '' ? NaN : Number(raw)) : raw
  }
  return out
}

function showProblems(fields: AlertPrefsProblems): void {
  for (const f of FIELDS) {
    const p = problemEl(f)
    const text = fields[f] ?? ''
    if (p.textContent !== text) p.textContent = text
    p.hidden = text === ''
    input(f).setAttribute('aria-invalid', text ? 'true' : 'false')
  }
}

/** The save's own rules, as the mechanic types (the main process answers the same way). */
function liveProblems(values: Record<AlertPrefsField, unknown>): AlertPrefsProblems {
  const r = checkAlertPrefs(values)
  return r.ok ? {} : r.fields
}

function fill(prefs: AlertPrefs): void {
  for (const f of FIELDS) input(f).value = String(prefs[f])
  ;(document.getElementById('p-volume-value') as HTMLElement).textContent = `${prefs.volume} %`
  showProblems({})
}

export interface AlertPrefsPanelDeps {
  host: BayAlertHostApi
  showMessage(text: string, kind?: 'info' | 'error'): void
}

/** Shows the panel and wires it; a host without preferences (an older main process) leaves it hidden. */
export async function startAlertPrefsPanel({ host, showMessage }: AlertPrefsPanelDeps): Promise<void> {
  if (!host.getAlertPrefs || !host.saveAlertPrefs) return
  const panel = document.getElementById('alert-prefs') as HTMLDetailsElement
  const sound = input('sound') as HTMLSelectElement
  sound.replaceChildren(
    ...REQUEST_SOUNDS.map((s) => {
      const o = document.createElement('option')
      o.value = s
      o.textContent = REQUEST_SOUND_LABEL[s]
      return o
    }),
  )
  const view = await host.getAlertPrefs()
  apply(view)
  fill(view.prefs)
  const problems = document.getElementById('alert-prefs-problems') as HTMLElement
  problems.replaceChildren(...view.problems.map((p) => Object.assign(document.createElement('li'), { textContent: p })))
  panel.hidden = false
  if (view.problems.length > 0) panel.open = true
  host.onAlertPrefsChanged?.((v) => {
    apply(v)
    fill(v.prefs)
  })

  const form = document.getElementById('alert-prefs-form') as HTMLFormElement
  form.addEventListener('input', () => {
    const values = readForm()
    ;(document.getElementById('p-volume-value') as HTMLElement).textContent = `${String(values.volume)} %`
    showProblems(liveProblems(values))
  })
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const values = readForm()
    const local = liveProblems(values)
    if (Object.keys(local).length > 0) {
      showProblems(local)
      showMessage('Alert preferences not saved — see the message next to the field.', 'error')
      return
    }
    void host
      .saveAlertPrefs!(values as unknown as AlertPrefs)
      .then((r) => {
        if (r.ok) {
          apply(r.view)
          fill(r.view.prefs)
          problems.replaceChildren()
          showMessage('Alert preferences saved.')
        } else {
          showProblems(r.fields)
          showMessage('Alert preferences not saved — see the message next to the field.', 'error')
        }
      })
      .catch((e: unknown) => showMessage(`Could not save the alert preferences: ${String(e)}`, 'error'))
  })
  const test = document.getElementById('p-test-sound') as HTMLButtonElement
  test.hidden = !host.testSound
  test.addEventListener('click', () => {
    void host.testSound?.().then(
      (r) => showMessage(r.played ? 'Playing the saved sound at the saved volume.' : r.message, r.played ? 'info' : 'error'),
      (e: unknown) => showMessage(`Could not play the sound: ${String(e)}`, 'error'),
    )
  })
}
