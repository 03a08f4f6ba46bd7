// window.bayalert for the headless host: the same BayAlertApi the preload offers, over the loopback UI
// server (src/cli/ui-server.ts). Commands are POST /api/invoke/<channel> with {"args": [...]} — the server
// validates them with the same validators as the IPC handlers — and snapshots/alerts arrive over a
// WebSocket at /api/events, which reconnects with backoff if the server restarts. Both carry this run's
// HttpOnly cookie (set when the printed URL was opened); a restarted server has a new secret, and then the
// page reloads into the server's own page that says where to find the new address.
// Built as its own entry (bridge.js) and injected by the server before the page script; Electron never
// loads it.
import type { BayAlertBridge, InAppAlert, QueueChannel, InvokeChannels } from '../../shared/ipc.js'
import type { EngineSnapshot } from '../../shared/types.js'

type ServerMessage = { type: 'snapshot'; snapshot: EngineSnapshot } | { type: 'alert'; alert: InAppAlert }

async function call<C extends QueueChannel>(channel: C, ...args: InvokeChannels[C]['args']): Promise<InvokeChannels[C]['result']> {
  const res = await fetch(`/api/invoke/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-bayalert-bridge': '1' },
    body: JSON.stringify({ args }),
    credentials: 'same-origin',
  })
  const body = (await res.json().catch(() => ({}))) as { result?: unknown; error?: string }
  if (res.status === 401) location.reload()
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`)
  return body.result as InvokeChannels[C]['result']
}

const snapshotListeners = new Set<(s: EngineSnapshot) => void>()
const alertListeners = new Set<(a: InAppAlert) => void>()
let socket: WebSocket | null = null
let retryMs = 500

function connect(): void {
  const ws = new WebSocket(`ws://${location.host}/api/events`)
  socket = ws
  ws.addEventListener('open', () => {
    retryMs = 500
  })
  ws.addEventListener('message', (ev) => {
    let msg: ServerMessage
    try {
      msg = JSON.parse(String(ev.data)) as ServerMessage
    } catch (err) {
      // The server only sends JSON; a frame that is not JSON is dropped (the next snapshot supersedes it).
      console.warn('bayalert bridge: ignored a push that is not JSON', String(err))
      return
    }
    if (msg.type === 'snapshot') snapshotListeners.forEach((l) => l(msg.snapshot))
    else if (msg.type === 'alert') alertListeners.forEach((l) => l(msg.alert))
  })
  ws.addEventListener('close', () => {
    if (socket !== ws) return
    socket = null
    setTimeout(reconnect, retryMs)
    retryMs = Math.min(retryMs * 2, 10_000)
  })
}

/** Reconnects, unless the server no longer knows our cookie (a new run): call() then reloads the page. */
function reconnect(): void {
  call('engine:get-snapshot').then(
    (snapshot) => {
      snapshotListeners.forEach((l) => l(snapshot))
      connect()
    },
    () => {
      if (!socket) connect() // server still down: the socket fails and closes, and we come back here later
    },
  )
}

function subscribe<T>(set: Set<(v: T) => void>, listener: (v: T) => void): () => void {
  set.add(listener)
  if (!socket) connect()
  return () => {
    set.delete(listener)
  }
}

const bridge: BayAlertBridge = {
  getSnapshot: () => call('engine:get-snapshot'),
  acknowledge: (id) => call('queue:acknowledge', id),
  accept: (id) => call('queue:accept', id),
  pause: (request) => call('alerts:pause', request),
  resume: () => call('alerts:resume'),
  reconnectNow: () => call('link:reconnect'),
  getHistory: () => call('history:get'),
  onSnapshot: (listener) => subscribe(snapshotListeners, listener),
  onAlert: (listener) => subscribe(alertListeners, listener),
}

Object.defineProperty(window, 'bayalert', { value: Object.freeze(bridge), writable: false, configurable: false })
