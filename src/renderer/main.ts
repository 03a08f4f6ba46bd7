// The queue window. Talks only to window.bayalert (preload over IPC in Electron, the loopback bridge
// headless). Every customer-supplied string goes into the DOM through textContent — never innerHTML — and
// each lives in its own bidi-isolated element so an RTL override cannot reorder the text around it.
// Snapshots patch the list by request id instead of rebuilding it: the focused button, a button disabled
// by a click in flight, and the screen reader's place all survive the next snapshot.
import type { FieldProblems, InAppAlert, SettingsView, UpdateStatus } from '../shared/ipc.js'
import { OUTAGE_ALARM_ID, type EngineSnapshot, type LinkStateName, type PauseRequest, type QueueItem } from '../shared/types.js'
import { URGENCY_TICK_MS, urgencyOf } from '../shared/urgency.js'
import { currentUrgency, dashboardEnabled, onAlertPrefsApplied, startAlertPrefsPanel } from './alert-prefs-panel.js'
import { wireAlertPath } from './alert-path-view.js'
import { startFirstRun } from './first-run.js'
import { wireHistory, type HistoryPanel } from './history-view.js'
import { outboxNews } from './outbox-model.js'
import { renderOutbox } from './outbox-view.js'
import { detailText, excerpt, pauseText, safeLine, stateText, waitingSince, waitingText } from './format.js'
import { acknowledgeLabel, announcement, customerName, queueChange, takeLabel } from './queue-model.js'
import { newTaken, takenSentence } from './taken-model.js'
import { renderTaken } from './taken-view.js'
import { renderWatchLine, renderWatchList } from './workstations-view.js'

const api = window.bayalert
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

let snapshot: EngineSnapshot | null = null
let history: HistoryPanel | null = null
let highlight: string | null = null

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

/** Writes only a changed text, so an unchanged card is not re-read by a screen reader or re-laid out. */
function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) node.textContent = text
}

/** The page's one polite live region: arrivals, departures, the link going down or up, action results. */
function announce(text: string): void {
  if (text) $('announce').textContent = text
}

let messageTimer: number | undefined
function showMessage(text: string, kind: 'info' | 'error' = 'info'): void {
  const m = $('message')
  m.textContent = text
  m.dataset.kind = kind
  m.hidden = text === ''
  announce(text)
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

// ---------------------------------------------------------------------------------------------------
// Cards, keyed by request id.

interface Card {
  li: HTMLLIElement
  customer: HTMLElement
  wait: HTMLElement
  vehicle: HTMLElement
  concern: HTMLElement
  meta: HTMLElement
  take: HTMLButtonElement
  ack: HTMLButtonElement
  dashboard: HTMLButtonElement
}

const cards = new Map<string, Card>()
/** Requests with a Take it or Acknowledge in flight: their button stays disabled until the engine answers. */
const taking = new Set<string>()
const acknowledging = new Set<string>()
/** Requests this workstation's Take it has settled (taken, or lost to someone): no second attempt. */
const settled = new Set<string>()

function createCard(requestId: string): Card {
  const li = el('li', 'item')
  li.dataset.requestId = requestId
  const main = el('div', 'item-main')
  const top = el('div', 'item-top')
  const customer = el('strong', 'customer iso')
  customer.dir = 'auto'
  const wait = el('span', 'waiting')
  top.append(customer, wait)
  const vehicle = el('div', 'vehicle iso')
  vehicle.dir = 'auto'
  const concern = el('p', 'concern iso')
  concern.dir = 'auto'
  const meta = el('div', 'meta')
  main.append(top, vehicle, concern, meta)

  const actions = el('div', 'actions')
  const take = el('button', 'primary', 'Take it')
  take.type = 'button'
  take.dataset.action = 'accept'
  take.addEventListener('click', () => void takeIt(requestId))
  const ack = el('button', 'secondary', 'Acknowledge')
  ack.type = 'button'
  ack.dataset.action = 'acknowledge'
  ack.addEventListener('click', () => void acknowledgeIt(requestId))
  // The shop's own page for this request (alert preferences' dashboard link), in the default browser.
  const dashboard = el('button', 'secondary', 'Open in dashboard')
  dashboard.type = 'button'
  dashboard.dataset.action = 'dashboard'
  dashboard.hidden = true
  dashboard.addEventListener('click', () => void openInDashboard(requestId))
  actions.append(take, ack, dashboard)
  li.append(main, actions)
  return { li, customer, wait, vehicle, concern, meta, take, ack, dashboard }
}

function updateCard(card: Card, item: QueueItem, link: LinkStateName, now: number): void {
  const { li } = card
  li.dataset.detail = item.detail
  li.classList.toggle('acknowledged', item.acknowledged)
  // Restored from this workstation's store and not yet confirmed by the server since start: it may be
  // gone already, and it does not ring until confirmed. (=== false: an older engine sends no field.)
  const unconfirmed = item.confirmed === false
  li.classList.toggle('unconfirmed', unconfirmed)
  li.classList.toggle('fresh', highlight === item.requestId)

  const name = customerName(item)
  setText(card.customer, name || 'Customer')
  card.customer.classList.toggle('placeholder', name === '')
  const since = waitingSince(item)
  card.wait.dataset.since = String(since)
  setText(card.wait, waitingText(since, now))
  li.dataset.urgency = urgencyOf(since, now, currentUrgency())

  const vehicle = safeLine(item.details.vehicle)
  setText(card.vehicle, vehicle)
  card.vehicle.hidden = vehicle === ''
  const concern = excerpt(item.details.concern)
  setText(card.concern, concern)
  card.concern.hidden = concern === ''

  const badges: Array<[string, string]> = []
  const detail = detailText(item.detail, link)
  if (detail) badges.push([`badge detail-${item.detail}`, detail])
  if (unconfirmed) badges.push(['badge unconfirmed', 'not confirmed yet'])
  if (item.acknowledged) badges.push(['badge ack', 'acknowledged'])
  if (item.alertCount > 1) badges.push(['badge', `rang ${item.alertCount}×`])
  const key = JSON.stringify(badges)
  if (card.meta.dataset.key !== key) {
    card.meta.dataset.key = key
    card.meta.replaceChildren(...badges.map(([cls, text]) => el('span', cls, text)))
  }
  card.meta.hidden = badges.length === 0

  setText(card.ack, item.acknowledged ? 'Acknowledged' : 'Acknowledge')
  card.ack.disabled = item.acknowledged || acknowledging.has(item.requestId)
  card.ack.setAttribute('aria-label', acknowledgeLabel(item))
  card.take.disabled = taking.has(item.requestId) || settled.has(item.requestId)
  card.take.setAttribute('aria-label', takeLabel(item))
  card.dashboard.hidden = !dashboardEnabled()
  card.dashboard.setAttribute('aria-label', `Open in dashboard: ${customerName(item) || 'a customer (name loading)'}`)
}

async function openInDashboard(requestId: string): Promise<void> {
  const open = api.host?.openDashboard
  if (!open) return
  try {
    const r = await open(requestId)
    if (!r.ok) showMessage(r.error, 'error')
  } catch (err) {
    showMessage(`Could not open the dashboard: ${err instanceof Error ? err.message : String(err)}`, 'error')
  }
}

function itemById(requestId: string): QueueItem | undefined {
  return snapshot?.queue.find((i) => i.requestId === requestId)
}

function refreshCard(requestId: string): void {
  const card = cards.get(requestId)
  const item = itemById(requestId)
  if (card && item && snapshot) updateCard(card, item, snapshot.link.state, Date.now())
}

async function takeIt(requestId: string): Promise<void> {
  if (taking.has(requestId) || settled.has(requestId)) return
  taking.add(requestId)
  refreshCard(requestId)
  try {
    const r = await api.accept(requestId)
    if (r.ok) {
      settled.add(requestId)
      showMessage(r.queued ? 'Saved — it will be taken as soon as the link is back.' : 'Taken — the session is yours.')
    } else {
      // Someone else has it, or it is gone: trying again cannot succeed. Offline or an error: it can.
      if (r.reason === 'already-taken' || r.reason === 'not-found') settled.add(requestId)
      // The engine's words already say who won ("Ana took it first.").
      showMessage(r.message, 'error')
    }
  } catch (err) {
    showMessage(`Could not take it: ${err instanceof Error ? err.message : String(err)}`, 'error')
  } finally {
    taking.delete(requestId)
    refreshCard(requestId)
  }
}

async function acknowledgeIt(requestId: string): Promise<void> {
  if (acknowledging.has(requestId)) return
  acknowledging.add(requestId)
  refreshCard(requestId)
  try {
    await run(() => api.acknowledge(requestId), 'Could not acknowledge')
  } finally {
    acknowledging.delete(requestId)
    refreshCard(requestId)
  }
}

/** Patches the list to `queue`: cards created, updated, moved and removed by request id. */
function patchQueue(queue: readonly QueueItem[], link: LinkStateName, now: number): void {
  const list = $('queue')
  const wanted = new Set(queue.map((i) => i.requestId))
  // Where focus goes if its card leaves: the next card that stays, else the list's heading.
  let focusHome: HTMLElement | null = null
  for (const [id, card] of cards) {
    if (wanted.has(id)) continue
    if (card.li.contains(document.activeElement)) {
      let next = card.li.nextElementSibling as HTMLElement | null
      while (next && !wanted.has(next.dataset.requestId ?? '')) next = next.nextElementSibling as HTMLElement | null
      const nextCard = next ? cards.get(next.dataset.requestId!) : undefined
      focusHome = [nextCard?.take, nextCard?.ack].find((b) => b && !b.disabled) ?? $('queue-heading')
    }
    card.li.remove()
    cards.delete(id)
    taking.delete(id)
    acknowledging.delete(id)
    settled.delete(id)
  }
  let cursor = list.firstElementChild
  for (const item of queue) {
    let card = cards.get(item.requestId)
    if (!card) cards.set(item.requestId, (card = createCard(item.requestId)))
    updateCard(card, item, link, now)
    // Move a card only when it is out of place: moving the focused element would drop its focus.
    if (card.li === cursor) cursor = cursor.nextElementSibling
    else list.insertBefore(card.li, cursor)
  }
  focusHome?.focus()
}

/** A request the host asked to show (a notification was clicked): its Take it gets focus once its card exists. */
let pendingFocus: string | null = null

function focusPending(): void {
  const requestId = pendingFocus
  pendingFocus = null
  if (!requestId) return
  const card = cards.get(requestId)
  if (!card) {
    showMessage('That request is no longer waiting.')
    return
  }
  card.li.scrollIntoView({ block: 'nearest' })
  // A take already settled or in flight leaves its button disabled; focus then rests on Acknowledge.
  ;(card.take.disabled ? card.ack : card.take).focus()
}

/** The not-receiving reminder: what it says, and Acknowledge to stop its repeats (gone once requests arrive again). */
function renderOutage(o: EngineSnapshot['outage']): void {
  const box = $('outage')
  const show = !!o && o.alerted
  box.hidden = !show
  if (!o || !show) return
  const since = new Date(o.since).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  setText($('outage-text'), `Not receiving requests since ${since}.${o.acknowledged ? ' Reminder acknowledged.' : ''}`)
  ;($('outage-ack') as HTMLButtonElement).hidden = o.acknowledged
}

function render(s: EngineSnapshot): void {
  const previous = snapshot
  snapshot = s
  const now = Date.now()
  const link = $('link')
  link.dataset.state = s.link.state
  $('link-state').textContent = stateText(s.link.state)
  $('link-reason').textContent = s.link.reason
  $('user').textContent = s.user ?? ''
  ;($('reconnect') as HTMLButtonElement).disabled = s.user === null

  renderWatchLine($('workstations'), s.workstations)
  renderWatchList($('ws-panel'), $('ws-list'), s.workstations)
  renderPause(s, now)
  patchQueue(s.queue, s.link.state, now)
  renderOutbox($('outbox'), s.outbox)
  history?.changed()
  renderTaken($('taken'), s.taken)
  renderOutage(s.outage)
  if (pendingFocus) focusPending()
  $('empty').hidden = s.queue.length > 0
  const waiting = s.queue.length
  document.title = waiting > 0 ? `(${waiting}) BayAlert` : 'BayAlert'

  // The first snapshot is what the page shows on opening, not news.
  if (previous) {
    // A request someone took is announced as taken, by whom, instead of as "no longer waiting".
    const taken = newTaken(previous.taken, s.taken)
    const takenIds = new Set(taken.map((n) => n.requestId))
    const change = queueChange(previous.queue, s.queue)
    const parts = [
      ...taken.map(takenSentence),
      announcement({ ...change, removed: change.removed.filter((i) => !takenIds.has(i.requestId)) }, waiting),
      outboxNews(previous.outbox, s.outbox),
    ]
    const wasLive = previous.link.state === 'live'
    if (wasLive !== (s.link.state === 'live')) parts.push(`Connection: ${stateText(s.link.state)}.`)
    announce(parts.filter(Boolean).join(' '))
  }
}

/**
 * The pause bar. Its controls sit in fixed slots: Resume has a slot of its own that is empty (not removed)
 * when alerts are on, so a double click on Resume lands on nothing instead of on a pause button that slid
 * under the pointer. A workstation that rings for nothing — paused here, or new-request alerts switched
 * off for the shop (the mech_new_request_alerts flag) — gets the loud bar: silence must not look calm.
 */
function renderPause(s: EngineSnapshot, now: number): void {
  const resume = $('resume') as HTMLButtonElement
  const paused = s.paused !== null
  const switchedOff = s.flags.mech_new_request_alerts === false
  $('pause-state').textContent = silenceText(s, now)
  resume.dataset.vacant = paused ? 'no' : 'yes'
  resume.disabled = !paused
  document.body.dataset.paused = paused ? 'yes' : 'no'
  document.body.dataset.silenced = paused || switchedOff ? 'yes' : 'no'
}

function silenceText(s: EngineSnapshot, now: number): string {
  if (s.paused === null && s.flags.mech_new_request_alerts === false) return 'Alerts switched off for your shop — new requests still show here'
  return pauseText(s.paused, now)
}

/** Waits, their colours and the pause countdown move on between snapshots. */
function tick(): void {
  const now = Date.now()
  for (const card of cards.values()) {
    const since = Number(card.wait.dataset.since)
    setText(card.wait, waitingText(since, now))
    card.li.dataset.urgency = urgencyOf(since, now, currentUrgency())
  }
  if (snapshot) $('pause-state').textContent = silenceText(snapshot, now)
}

let bannerTimer: number | undefined
function onAlert(a: InAppAlert): void {
  highlight = a.requestId
  $('alert-title').textContent = safeLine(a.title)
  $('alert-body').textContent = excerpt(a.body, 200)
  $('alert-banner').hidden = false
  for (const [id, card] of cards) card.li.classList.toggle('fresh', id === highlight)
  // Each alert gets the banner for its full time: an older alert's timer must not hide a newer one early.
  window.clearTimeout(bannerTimer)
  bannerTimer = window.setTimeout(() => {
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
  ;($('s-shortcut') as HTMLInputElement).value = v.globalShortcut ?? ''
  // Field problems sit next to their field; the list keeps only those that belong to no field.
  $('settings-problems').replaceChildren(...listedProblems(v.problems, v.fields).map((p) => el('li', undefined, p)))
  renderFieldProblems(v.fields)
  const prov = $('provisioning-note')
  const names: Record<string, string> = { supabaseUrl: 'shop URL', anonKey: 'anon key', email: 'e-mail', soundEnabled: 'sound', globalShortcut: 'shortcut' }
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
      globalShortcut: ($('s-shortcut') as HTMLInputElement).value.trim(),
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
  wireStartAtLogin(host)
}

/** Start at login: applied at once (the OS login item), like the tray's checkbox; a build that cannot says why. */
function wireStartAtLogin(host: NonNullable<typeof api.host>): void {
  const get = host.getStartAtLogin
  const set = host.setStartAtLogin
  if (!get || !set) return
  const box = $('s-login') as HTMLInputElement
  const show = (st: { supported: boolean; enabled: boolean }) => {
    box.checked = st.enabled
    box.disabled = !st.supported
    $('s-login-note').textContent = st.supported ? '' : 'Only the installed app can start at login.'
    $('login-item-row').hidden = false
  }
  void get().then(show, (e: unknown) => showMessage(`Start at login unavailable: ${String(e)}`, 'error'))
  box.addEventListener('change', () => {
    const wanted = box.checked
    void set(wanted).then(
      (st) => {
        show(st)
        if (st.enabled !== wanted) showMessage('The system did not take the start-at-login change.', 'error')
      },
      (e: unknown) => showMessage(`Could not change start at login: ${String(e)}`, 'error'),
    )
  })
}

/** A notice floats over the cards; a tap puts it away before its time is up. */
function wireNotices(): void {
  for (const id of ['alert-banner', 'message']) $(id).addEventListener('click', () => ($(id).hidden = true))
}

async function start(): Promise<void> {
  wireNotices()
  if (!api) {
    $('link-reason').textContent = 'The BayAlert bridge is missing: open this page from the BayAlert app or its loopback server.'
    return
  }
  wirePause()
  wireSettings()
  history = wireHistory(api, $('history') as HTMLDetailsElement)
  // The engine takes the reminder's acknowledgement through the acknowledge call, under its own id.
  $('outage-ack').addEventListener('click', () => void api.acknowledge(OUTAGE_ALARM_ID).catch((e: unknown) => showMessage(`Could not acknowledge: ${String(e)}`, 'error')))
  wireAlertPath(api.host, { line: $('alert-path'), button: $('test-alert') as HTMLButtonElement }, showMessage)
  api.onSnapshot(render)
  api.onAlert?.(onAlert)
  api.onFocusRequest?.((requestId) => {
    pendingFocus = requestId
    if (snapshot) focusPending()
  })
  try {
    render(await api.getSnapshot())
  } catch (err) {
    showMessage(`Could not load the queue: ${err instanceof Error ? err.message : String(err)}`, 'error')
  }
  if (api.host) {
    onAlertPrefsApplied(() => {
      for (const id of cards.keys()) refreshCard(id)
    })
    await startAlertPrefsPanel({ host: api.host, showMessage }).catch((err) =>
      showMessage(`Alert preferences unavailable: ${err instanceof Error ? err.message : String(err)}`, 'error'),
    )
    await startFirstRun(api.host, () => snapshot?.user != null).catch((err) =>
      showMessage(`Could not open the first-run steps: ${err instanceof Error ? err.message : String(err)}`, 'error'),
    )
  }
  window.setInterval(tick, URGENCY_TICK_MS)
}

void start()
