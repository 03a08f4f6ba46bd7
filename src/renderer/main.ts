// The queue window. Talks only to window.bayalert (preload over IPC in Electron, the loopback bridge
// headless). Every customer-supplied string goes into the DOM through textContent — never innerHTML — and
// each lives in its own bidi-isolated element so an RTL override cannot reorder the text around it.
import type { FieldProblems, InAppAlert, SettingsView, UpdateStatus } from '../shared/ipc.js'
import type { EngineSnapshot, PauseRequest, QueueItem } from '../shared/types.js'
import { startFirstRun } from './first-run.js'
import { excerpt, pauseText, safeLine, stateText, waitingSince, waitingText } from './format.js'

const api = window.bayalert
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

let snapshot: EngineSnapshot | null = null
let highlight: string | null = null

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

let messageTimer: number | undefined
function showMessage(text: string, kind: 'info' | 'error' = 'info'): void {
  const m = $('message')
  m.textContent = text
  m.dataset.kind = kind
  m.hidden = text === ''
  // Results of an action are transient; the queue and state line are the lasting truth.
  window.clearTimeout(messageTimer)
  messageTimer = window.setTimeout(() => (m.hidden = true), kind === 'error' ? 20_000 : 6_000)
}

async function run(action: () => Promise<unknown>, failure: string): Promise<void> {
  try {
    await action()
  } catch (err) {
    showMessage(`${failure}: ${err instanceof Error ? err.message : String(err)}`, 'error')
  }
}

function renderItem(item: QueueItem, now: number): HTMLLIElement {
  const li = el('li', 'item')
  li.dataset.requestId = item.requestId
  li.dataset.detail = item.detail
  if (item.acknowledged) li.classList.add('acknowledged')
  // Restored from this workstation's store and not yet confirmed by the server since start: it may be
  // gone already, and it does not ring until confirmed. (=== false: an older engine sends no field.)
  const unconfirmed = item.confirmed === false
  if (unconfirmed) li.classList.add('unconfirmed')
  if (highlight === item.requestId) li.classList.add('fresh')

  const top = el('div', 'item-top')
  const customer = el('strong', 'customer iso', safeLine(item.details.customerName) || 'Customer (details loading)')
  customer.dir = 'auto'
  const wait = el('span', 'waiting', waitingText(waitingSince(item), now))
  wait.dataset.since = String(waitingSince(item))
  top.append(customer, wait)

  const vehicle = el('div', 'vehicle iso', safeLine(item.details.vehicle))
  vehicle.dir = 'auto'
  const concern = el('p', 'concern iso', excerpt(item.details.concern))
  concern.dir = 'auto'

  const meta = el('div', 'meta')
  const detail = el('span', `badge detail-${item.detail}`, item.detail === 'full' ? 'full details' : 'basic — details pending')
  meta.append(detail)
  if (unconfirmed) meta.append(el('span', 'badge unconfirmed', 'not confirmed yet'))
  if (item.acknowledged) meta.append(el('span', 'badge ack', 'acknowledged'))
  if (item.alertCount > 1) meta.append(el('span', 'badge', `rang ${item.alertCount}×`))

  const actions = el('div', 'actions')
  const ack = el('button', 'secondary', item.acknowledged ? 'Acknowledged' : 'Acknowledge')
  ack.type = 'button'
  ack.dataset.action = 'acknowledge'
  ack.disabled = item.acknowledged
  ack.addEventListener('click', () => void run(() => api.acknowledge(item.requestId), 'Could not acknowledge'))
  const take = el('button', 'primary', 'Take it')
  take.type = 'button'
  take.dataset.action = 'accept'
  take.addEventListener('click', () => void takeIt(item.requestId, take))
  actions.append(ack, take)

  li.append(top)
  if (item.details.vehicle) li.append(vehicle)
  if (item.details.concern) li.append(concern)
  li.append(meta, actions)
  return li
}

async function takeIt(requestId: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true
  try {
    const r = await api.accept(requestId)
    if (r.ok) showMessage('Taken — the session is yours.')
    else showMessage(r.reason === 'already-taken' ? `Someone else took it first. ${r.message}` : r.message, 'error')
  } catch (err) {
    showMessage(`Could not take it: ${err instanceof Error ? err.message : String(err)}`, 'error')
  } finally {
    button.disabled = false
  }
}

function render(s: EngineSnapshot): void {
  snapshot = s
  const now = Date.now()
  const link = $('link')
  link.dataset.state = s.link.state
  $('link-state').textContent = stateText(s.link.state)
  $('link-reason').textContent = s.link.reason
  $('user').textContent = s.user ?? ''
  ;($('reconnect') as HTMLButtonElement).disabled = s.user === null

  $('pause-state').textContent = pauseText(s.paused, now)
  $('resume').hidden = s.paused === null
  document.body.dataset.paused = s.paused === null ? 'no' : 'yes'

  const list = $('queue')
  list.replaceChildren(...s.queue.map((item) => renderItem(item, now)))
  $('empty').hidden = s.queue.length > 0
  const waiting = s.queue.length
  document.title = waiting > 0 ? `(${waiting}) BayAlert` : 'BayAlert'
}

function tick(): void {
  const now = Date.now()
  for (const w of document.querySelectorAll<HTMLElement>('.waiting')) w.textContent = waitingText(Number(w.dataset.since), now)
  if (snapshot) $('pause-state').textContent = pauseText(snapshot.paused, now)
}

function onAlert(a: InAppAlert): void {
  highlight = a.requestId
  $('alert-title').textContent = safeLine(a.title)
  $('alert-body').textContent = excerpt(a.body, 200)
  $('alert-banner').hidden = false
  if (snapshot) render(snapshot)
  window.setTimeout(() => {
    $('alert-banner').hidden = true
  }, 15_000)
}

function wirePause(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>('button[data-pause]')) {
    const v = b.dataset.pause
    const req: PauseRequest = v === '15' ? { minutes: 15 } : v === '60' ? { minutes: 60 } : { indefinite: true }
    b.addEventListener('click', () => void run(() => api.pause(req), 'Could not pause'))
  }
  $('resume').addEventListener('click', () => void run(() => api.resume(), 'Could not resume'))
  $('reconnect').addEventListener('click', () => void run(() => api.reconnectNow(), 'Could not reconnect'))
}

/** The problems shown next to a form field; the list above the form keeps all the others. */
function listedProblems(problems: string[], fields: FieldProblems): string[] {
  const shown = new Set([...document.querySelectorAll<HTMLElement>('#settings-form .field-problem')].map((p) => fields[p.dataset.field as keyof FieldProblems]))
  return problems.filter((p) => !shown.has(p))
}

/** One message next to each field it belongs to; fields without a problem show nothing. */
function renderFieldProblems(fields: FieldProblems): void {
  for (const p of document.querySelectorAll<HTMLElement>('#settings-form .field-problem')) {
    const message = fields[p.dataset.field as keyof FieldProblems] ?? ''
    p.textContent = message
    p.hidden = message === ''
  }
}

function renderSettings(v: SettingsView): void {
  ;($('s-url') as HTMLInputElement).value = v.supabaseUrl
  ;($('s-key') as HTMLInputElement).value = v.anonKey
  ;($('s-email') as HTMLInputElement).value = v.email
  ;($('s-sound') as HTMLInputElement).checked = v.soundEnabled
  // Field problems sit next to their field; the list keeps only those that belong to no field.
  $('settings-problems').replaceChildren(...listedProblems(v.problems, v.fields).map((p) => el('li', undefined, p)))
  renderFieldProblems(v.fields)
  const prov = $('provisioning-note')
  const names: Record<string, string> = { supabaseUrl: 'shop URL', anonKey: 'anon key', email: 'e-mail', soundEnabled: 'sound' }
  prov.textContent = v.provisioning.source
    ? `Your administrator's file ${v.provisioning.source} provides the defaults${v.provisioning.fields.length ? ` (in use: ${v.provisioning.fields.map((f) => names[f]).join(', ')})` : ''}. What you save here wins on this workstation.`
    : ''
  prov.hidden = !v.provisioning.source
  const warn = $('secret-warning')
  warn.textContent = v.secretStorage.message ?? ''
  warn.hidden = !v.secretStorage.message
  const details = $('settings') as HTMLDetailsElement
  if (!v.configured || v.problems.length > 0 || v.secretStorage.message) details.open = true
}

function wireSettings(): void {
  const host = api.host
  if (!host) return // headless: configured from the environment
  $('settings').hidden = false
  void host.getSettings().then(renderSettings, (e) => showMessage(`Settings unavailable: ${String(e)}`, 'error'))
  host.onSettingsChanged(renderSettings)
  const showUpdate = (u: UpdateStatus) => ($('update-status').textContent = u.text)
  void host.getUpdateStatus().then(showUpdate, (e) => showUpdate({ phase: 'error', version: null, text: `Update status unavailable: ${String(e)}` }))
  host.onUpdateStatus(showUpdate)
  $('settings-form').addEventListener('submit', (ev) => {
    ev.preventDefault()
    const input = {
      supabaseUrl: ($('s-url') as HTMLInputElement).value.trim(),
      anonKey: ($('s-key') as HTMLInputElement).value.trim(),
      email: ($('s-email') as HTMLInputElement).value.trim(),
      soundEnabled: ($('s-sound') as HTMLInputElement).checked,
    }
    void run(async () => {
      const r = await host.saveSettings(input)
      if (r.ok) {
        renderSettings(r.settings)
        showMessage('Settings saved.')
      } else {
        renderFieldProblems(r.fields)
        $('settings-problems').replaceChildren(...listedProblems(r.problems, r.fields).map((p) => el('li', undefined, p)))
        showMessage('Settings not saved — see the message next to the field.', 'error')
      }
    }, 'Could not save settings')
  })
  $('signin-form').addEventListener('submit', (ev) => {
    ev.preventDefault()
    const pw = $('s-password') as HTMLInputElement
    const email = ($('s-email') as HTMLInputElement).value.trim()
    void run(async () => {
      const r = await host.signIn(email, pw.value)
      pw.value = ''
      showMessage(r.ok ? 'Signed in.' : `Sign-in failed: ${r.message}`, r.ok ? 'info' : 'error')
    }, 'Could not sign in')
  })
  $('signout').addEventListener('click', () => void run(() => host.signOut(), 'Could not sign out'))
}

async function start(): Promise<void> {
  if (!api) {
    $('link-reason').textContent = 'The BayAlert bridge is missing: open this page from the BayAlert app or its loopback server.'
    return
  }
  wirePause()
  wireSettings()
  api.onSnapshot(render)
  api.onAlert?.(onAlert)
  try {
    render(await api.getSnapshot())
  } catch (err) {
    showMessage(`Could not load the queue: ${err instanceof Error ? err.message : String(err)}`, 'error')
  }
  if (api.host) {
    await startFirstRun(api.host, () => snapshot?.user != null).catch((err) =>
      showMessage(`Could not open the first-run steps: ${err instanceof Error ? err.message : String(err)}`, 'error'),
    )
  }
  window.setInterval(tick, 15_000)
}

void start()
