// The wallboard: a large-type, read-only view of the queue for a shop screen. It only reads (snapshot and
// pushes): there is no button, and headless serves it under a secret that cannot run commands anyway.
// Every customer string goes into the DOM through textContent, each in its own bidi-isolated element.
import type { EngineSnapshot } from '../shared/types.js'
import { pauseText, stateText } from './format.js'
import { DEFAULT_URGENCY, URGENCY_TICK_MS, urgencyOf, type UrgencyThresholds } from '../shared/urgency.js'
import { urgencyThresholds } from '../shared/alert-prefs.js'
import { announcement, queueChange } from './queue-model.js'
import { wallboardRows, waitShort, type WallboardRow } from './wallboard-model.js'
import { newTaken, takenSentence } from './taken-model.js'
import { renderTaken } from './taken-view.js'
import { renderWatchLine } from './workstations-view.js'

const api = window.bayalert
const $ = (id: string) => document.getElementById(id) as HTMLElement

let snapshot: EngineSnapshot | null = null
/** The mechanic's amber/red thresholds where the host has preferences (the Electron window); else the defaults. */
let thresholds: UrgencyThresholds = DEFAULT_URGENCY

function text<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, value: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  node.className = className
  node.textContent = value
  return node
}

function renderRow(row: WallboardRow, now: number): HTMLLIElement {
  const li = document.createElement('li')
  li.className = 'row'
  li.dataset.requestId = row.requestId
  li.dataset.urgency = urgencyOf(row.since, now, thresholds)
  const name = text('strong', 'row-name iso', row.name)
  name.dir = 'auto'
  const wait = text('span', 'row-wait', waitShort(row.since, now))
  wait.dataset.since = String(row.since)
  li.append(name, wait)
  if (row.what) {
    const what = text('span', 'row-what iso', row.what)
    what.dir = 'auto'
    li.append(what)
  }
  if (row.acknowledged) li.append(text('span', 'row-ack', 'acknowledged'))
  return li
}

function render(s: EngineSnapshot): void {
  const previous = snapshot
  snapshot = s
  const now = Date.now()
  const bar = $('board-link')
  bar.dataset.state = s.link.state
  $('board-state').textContent = stateText(s.link.state)
  $('board-reason').textContent = s.link.state === 'live' ? '' : s.link.reason
  const paused = $('board-paused')
  paused.hidden = s.paused === null
  paused.textContent = s.paused === null ? '' : pauseText(s.paused, now)
  renderWatchLine($('board-workstations'), s.workstations)
  const rows = wallboardRows(s.queue)
  $('board-count').textContent = rows.length === 1 ? '1 waiting' : `${rows.length} waiting`
  $('board').replaceChildren(...rows.map((r) => renderRow(r, now)))
  $('board-empty').hidden = rows.length > 0
  document.title = rows.length > 0 ? `(${rows.length}) BayAlert wallboard` : 'BayAlert wallboard'
  renderTaken($('board-taken'), s.taken)
  const taken = previous ? newTaken(previous.taken, s.taken) : []
  const takenIds = new Set(taken.map((n) => n.requestId))
  const change = previous ? queueChange(previous.queue, s.queue) : null
  const news = change
    ? [...taken.map(takenSentence), announcement({ ...change, removed: change.removed.filter((i) => !takenIds.has(i.requestId)) }, rows.length)].filter(Boolean).join(' ')
    : ''
  if (news) $('board-announce').textContent = news
}

/** Waits and their colours move on between snapshots. */
function tick(): void {
  const now = Date.now()
  for (const w of document.querySelectorAll<HTMLElement>('.row-wait')) {
    const since = Number(w.dataset.since)
    w.textContent = waitShort(since, now)
    ;(w.parentElement as HTMLElement).dataset.urgency = urgencyOf(since, now, thresholds)
  }
  if (snapshot?.paused) $('board-paused').textContent = pauseText(snapshot.paused, now)
}

async function start(): Promise<void> {
  if (!api) {
    $('board-reason').textContent = 'The BayAlert bridge is missing: open this page from the address BayAlert printed.'
    return
  }
  api.onSnapshot(render)
  const usePrefs = (prefs: { amberAfterMin: number; redAfterMin: number }) => {
    thresholds = urgencyThresholds(prefs)
    tick()
  }
  api.host?.onAlertPrefsChanged?.((v) => usePrefs(v.prefs))
  await api.host
    ?.getAlertPrefs?.()
    .then((v) => usePrefs(v.prefs))
    // The default thresholds stay; said in the page's console (the queue window shows preference problems).
    .catch((e: unknown) => console.warn('wallboard: alert preferences unavailable; default urgency thresholds', String(e)))
  try {
    render(await api.getSnapshot())
  } catch (err) {
    $('board-reason').textContent = `Could not load the queue: ${err instanceof Error ? err.message : String(err)}`
  }
  window.setInterval(tick, URGENCY_TICK_MS)
}

void start()
