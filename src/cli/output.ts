// Headless terminal output. Two modes:
//  --json  one JSON object per line on stdout: { ts, type: state|alert|retract|queue|health|error|workstations|alert-path, …fields }
//          (stdout stays machine-readable: logs and notices go to stderr);
//  text    event lines, plus a live queue + state line redrawn in place when stdout is a TTY (ANSI).
// Alerts reach the terminal as an AlertSink (tier 'terminal'), so they are exactly what the pipeline
// delivered; state/queue/health/error and alert updates (enrichment) come from engine events.
import type { Alert, AlertSink } from '../core/ports.js'
import type { EngineHandle } from '../core/engine-api.js'
import type { EngineSnapshot, HealthSummary, LinkState, OutboxEntry, QueueItem, WorkstationWatch } from '../shared/types.js'
import { liveText, watchLine } from '../shared/workstations-text.js'
import type { RetractEvent, RetractWhy } from '../core/ports.js'
import type { AlertPathVerdict } from '../core/alert-path/types.js'

export type Writer = (line: string) => void

export interface OutputOptions {
  json: boolean
  tty: boolean
  out: Writer
  /** For the in-place status line (TTY only). */
  raw?: (s: string) => void
}

const C = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  cyan: '\x1b[36m',
}
const STATE_COLOUR: Record<LinkState['state'], string> = {
  live: C.green,
  degraded: C.yellow,
  connecting: C.cyan,
  offline: C.red,
  'signed-out': C.red,
}

/** What a withdrawn alert's line says after the customer's name. */
export const RETRACT_TEXT: Record<RetractWhy, string> = {
  taken: 'taken',
  cancelled: 'cancelled',
  removed: 'left the queue',
  acknowledged: 'acknowledged',
}

/** Who a line is about: the customer's name, or a short id while the details are unknown. */
export function requestLabel(requestId: string, customerName: string | null | undefined): string {
  return customerName || `request ${requestId.slice(0, 8)}`
}

export function alertFields(a: Alert): Record<string, unknown> {
  return {
    kind: a.kind,
    requestId: a.requestId ?? null,
    key: a.key ?? null,
    source: a.items[0]?.firstSource ?? null,
    latencyMs: a.latencyMs,
    detail: a.detail,
    title: a.title,
    body: a.body,
    ...(a.summaryOf ? { summaryOf: a.summaryOf } : {}),
    ...(a.escalated ? { escalated: true } : {}),
  }
}

/** The `workstations` JSON line: the watch of the last check-in (null: not known). */
export function workstationsFields(w: WorkstationWatch | null): Record<string, unknown> {
  if (!w) return { live: null, total: null, silent: [], list: [] }
  return {
    live: w.live,
    total: w.total,
    silent: w.silent.map((x) => ({ name: x.name, since: new Date(x.since).toISOString() })),
    list: w.list.map((e) => ({ name: e.name, mechanic: e.mechanic, state: e.state, version: e.version, lastSeen: new Date(e.lastSeen).toISOString(), live: e.live })),
  }
}

function queueFields(items: QueueItem[]): Record<string, unknown> {
  return {
    count: items.length,
    items: items.map((q) => ({
      requestId: q.requestId,
      customerName: q.details.customerName,
      vehicle: q.details.vehicle,
      concern: q.details.concern,
      detail: q.detail,
      acknowledged: q.acknowledged,
      queuedAt: q.queuedAt,
      // false: restored from the last session and not confirmed by the server since this start.
      confirmed: q.confirmed,
    })),
  }
}

function healthFields(h: HealthSummary): Record<string, unknown> {
  return { degradedReason: h.degradedReason, latencyMs: h.latencyMs, fetchFailureRate: h.fetchFailureRate, sinkFailureRate: h.sinkFailureRate, counters: h.counters }
}

export class TerminalOutput {
  // A withdrawn alert is one line naming the customer and what happened ("Maria Gonzalez cancelled"): the
  // engine's retract event says why, the queue says who, and the sink's retract writes the line.
  /** Customer names of the requests in the queue (and of those rung since), by request id. */
  private readonly names = new Map<string, string>()
  /** Why and who for retracts announced by the engine and not yet written by the sink. */
  private readonly withdrawing = new Map<string, { why: RetractWhy; name: string | undefined; takenBy: string | null | undefined }>()
  /** Requests whose acknowledgement was already written (acknowledging twice is one event). */
  private readonly acknowledgedShown = new Set<string>()

  private status = ''
  private lastQueueKey = ''
  private lastWatchKey = ''
  private lastOutboxKey = '[]'
  private outboxStates = new Map<string, string>()
  private lastAlertPathKey = ''
  /** JSON mode: alert texts replaced since the last queue line, sent with the next one. */
  private pendingUpdates: Record<string, unknown>[] = []
  constructor(private readonly o: OutputOptions) {}

  private colour(s: string, c: string): string {
    return this.o.tty ? `${c}${s}${C.reset}` : s
  }

  /** Writes one event. JSON: a line. Text: a line above the redrawn status line. */
  emit(type: 'state' | 'alert' | 'retract' | 'queue' | 'health' | 'error' | 'workstations' | 'alert-path' | 'outbox', fields: Record<string, unknown>, text?: string): void {
    if (this.o.json) {
      this.o.out(JSON.stringify({ ts: new Date().toISOString(), type, ...fields }))
      return
    }
    if (text !== undefined) this.line(text)
  }

  /** A text-mode line above the redrawn status line. */
  private line(text: string): void {
    if (this.o.tty && this.o.raw) {
      this.o.raw(`\r\x1b[2K${text}\n${this.status}`)
    } else {
      this.o.out(text)
    }
  }

  state(s: LinkState): void {
    const time = new Date().toLocaleTimeString()
    this.emit('state', { state: s.state, reason: s.reason }, `${this.colour(time, C.dim)} ${this.colour(`[${s.state}]`, STATE_COLOUR[s.state])} ${s.reason}`)
  }

  alert(a: Alert): void {
    for (const q of a.items) if (q.details.customerName) this.names.set(q.requestId, q.details.customerName)
    const time = new Date().toLocaleTimeString()
    const tag = a.kind === 'health' ? this.colour('⚠ health', C.yellow) : a.escalated ? this.colour('🚨 URGENT', `${C.bold}${C.red}`) : this.colour(`🔔 ${a.kind}`, C.bold)
    const lat = a.latencyMs !== null ? this.colour(` (${a.latencyMs} ms)`, C.dim) : ''
    this.emit('alert', alertFields(a), `${this.colour(time, C.dim)} ${tag} ${a.title} — ${a.body}${lat}`)
  }

  /**
   * Details arrived for a request that rang basic. Text mode: one line with the full text. JSON mode:
   * no new type (the set stays state|alert|retract|queue|health|error): the new text rides as
   * `updates` on the next `queue` line, the one the enrichment itself causes (its detail turns 'full').
   */
  update(a: Alert): void {
    if (this.o.json) {
      this.pendingUpdates.push({ requestId: a.requestId ?? null, kind: a.kind, detail: a.detail, title: a.title, body: a.body })
      return
    }
    this.line(`${this.colour(new Date().toLocaleTimeString(), C.dim)} ${this.colour('↻ details', C.cyan)} ${a.title} — ${a.body}`)
  }

  /**
   * The engine announced a retract (before its sinks are called): remember why, and the name while the
   * queue still has it — the queue update that drops the request may reach us before the sink does.
   */
  withdrawn(e: RetractEvent): void {
    this.withdrawing.set(e.requestId, { why: e.why, name: this.names.get(e.requestId), takenBy: e.takenBy })
  }

  /** The sink's retract. JSON: one line per call (why, customerName and takenBy added when known). Text: one line per event. */
  retract(requestId: string): void {
    const known = this.withdrawing.get(requestId)
    this.withdrawing.delete(requestId)
    const name = known?.name ?? this.names.get(requestId)
    const why = known?.why
    if (why !== undefined && why !== 'acknowledged') {
      this.names.delete(requestId)
      this.acknowledgedShown.delete(requestId)
    }
    const takenBy = why === 'taken' ? known?.takenBy : undefined
    const fields = { requestId, ...(why ? { why } : {}), ...(name ? { customerName: name } : {}), ...(takenBy ? { takenBy } : {}) }
    if (!this.o.json && why === 'acknowledged') {
      if (this.acknowledgedShown.has(requestId)) return
      this.acknowledgedShown.add(requestId)
    }
    const what = why ? `${RETRACT_TEXT[why]}${takenBy ? ` by ${takenBy}` : ''}` : 'left the queue or was acknowledged'
    this.emit('retract', fields, `${this.colour(new Date().toLocaleTimeString(), C.dim)} ✓ ${requestLabel(requestId, name)} ${what}`)
  }

  queue(items: QueueItem[]): void {
    const present = new Set(items.map((q) => q.requestId))
    for (const q of items) if (q.details.customerName) this.names.set(q.requestId, q.details.customerName)
    for (const id of this.names.keys()) if (!present.has(id) && !this.withdrawing.has(id)) this.names.delete(id)
    for (const id of this.acknowledgedShown) if (!present.has(id)) this.acknowledgedShown.delete(id)
    const key = JSON.stringify(items.map((q) => [q.requestId, q.detail, q.acknowledged, q.confirmed]))
    if (key === this.lastQueueKey && this.pendingUpdates.length === 0) return
    this.lastQueueKey = key
    const updates = this.pendingUpdates
    this.pendingUpdates = []
    this.emit('queue', { ...queueFields(items), ...(updates.length ? { updates } : {}) })
  }

  /**
   * The workstation watch, when who is live or silent changed (not on every check-in): JSON a `workstations` line
   * (live, total, silent [{name, since}], list); text "2 of 3 workstations live — Bay 3 silent since 10:42".
   */
  workstations(w: WorkstationWatch | null | undefined): void {
    const watch = w ?? null
    const key = JSON.stringify(watch && [watch.live, watch.total, watch.silent.map((x) => x.name)])
    if (key === this.lastWatchKey) return
    const first = this.lastWatchKey === ''
    this.lastWatchKey = key
    if (!watch && first) return
    const colour = watch && watch.silent.length ? C.yellow : C.green
    const text = watch ? this.colour(watchLine(watch), colour) : this.colour('workstation watch: not known (signed out)', C.dim)
    this.emit('workstations', workstationsFields(watch), `${this.colour(new Date().toLocaleTimeString(), C.dim)} ${text}`)
  }

  /**
   * The outbox (Take it while offline), when an entry appears or changes state: JSON an `outbox` line with every
   * entry (requestId, customerName, state, takenBy, message); text one line per changed entry.
   */
  outbox(entries: OutboxEntry[] | undefined): void {
    const list = entries ?? []
    const key = JSON.stringify(list.map((e) => [e.key, e.state]))
    if (key === this.lastOutboxKey) return
    const before = this.outboxStates
    this.lastOutboxKey = key
    this.outboxStates = new Map(list.map((e) => [e.key, e.state]))
    const changed = list.filter((e) => before.get(e.key) !== e.state)
    if (this.o.json) {
      this.emit('outbox', { entries: list.map((e) => ({ requestId: e.requestId, customerName: e.customerName, state: e.state, takenBy: e.takenBy, message: e.message })) })
      return
    }
    for (const e of changed) {
      const who = requestLabel(e.requestId, e.customerName)
      const text = e.state === 'pending' ? `⏳ Take it for ${who}: waiting for the link (kept, replayed when it is back)` : `${e.state === 'done' ? '✓' : '✗'} Take it for ${who}: ${e.message ?? e.state}`
      this.emit('outbox', {}, `${this.colour(new Date().toLocaleTimeString(), C.dim)} ${this.colour(text, e.state === 'pending' || e.state === 'done' ? C.dim : C.yellow)}`)
    }
  }

  health(h: HealthSummary): void {
    this.emit('health', healthFields(h), h.degradedReason ? `${this.colour('health:', C.yellow)} ${h.degradedReason}` : `${this.colour('health:', C.green)} recovered`)
  }

  /**
   * The alert-path self-test's verdict (JSON type 'alert-path'), written when it changes: ok, what swallows
   * alerts (findings: id, affects, reason) and what could not be told (unknown: detector, why).
   */
  alertPath(v: AlertPathVerdict): void {
    const key = JSON.stringify([v.findings, v.unknown])
    if (key === this.lastAlertPathKey) return
    this.lastAlertPathKey = key
    const ok = v.findings.length === 0
    const text = ok
      ? `${this.colour('alert path:', C.green)} ok${v.unknown.length ? ` (could not tell: ${v.unknown.map((u) => u.detector).join(', ')})` : ''}`
      : `${this.colour('⚠ alert path:', C.yellow)} ${v.findings.map((f) => f.reason).join(' ')}`
    this.emit('alert-path', { ok, trigger: v.trigger, findings: v.findings, unknown: v.unknown }, text)
  }

  error(message: string, cause?: string): void {
    this.emit('error', { message, ...(cause ? { cause } : {}) }, `${this.colour('error:', C.red)} ${message}`)
  }

  /** The live status line (TTY text mode): state + the waiting queue. */
  redraw(s: EngineSnapshot): void {
    if (this.o.json || !this.o.tty || !this.o.raw) return
    const waiting = s.queue
      .slice(0, 4)
      .map((q) => `${q.details.customerName ?? 'customer'}${q.details.vehicle ? ` (${q.details.vehicle})` : ''}${q.confirmed === false ? ' (not confirmed yet)' : ''}${q.acknowledged ? '' : '*'}`)
      .join(', ')
    const more = s.queue.length > 4 ? ` +${s.queue.length - 4}` : ''
    const paused = s.paused ? this.colour(' [paused]', C.yellow) : ''
    const watch = s.workstations ? ` · ${liveText(s.workstations)}` : ''
    const line = `${this.colour(`[${s.link.state}]`, STATE_COLOUR[s.link.state])}${paused} ${s.queue.length} waiting${waiting ? `: ${waiting}${more}` : ''}${watch}`
    const cols = process.stdout.columns ?? 120
    this.status = line.length > cols + 20 ? line.slice(0, cols + 10) : line
    this.o.raw(`\r\x1b[2K${this.status}`)
  }
}

/** Alerts as terminal lines (tier 'terminal': not gated by a tier flag, only by the master switch). */
export class TerminalSink implements AlertSink {
  readonly name = 'terminal'
  readonly tier = 'terminal' as const
  constructor(private readonly out: TerminalOutput) {}
  alert(a: Alert): void {
    this.out.alert(a)
  }
  retract(requestId: string): void {
    this.out.retract(requestId)
  }
}

/** The terminal bell as the sound tier (gated by mech_audio_alerts). Text mode on a TTY only. */
export class BellSink implements AlertSink {
  readonly name = 'bell'
  readonly tier = 'sound' as const
  constructor(private readonly write: (s: string) => void) {}
  alert(a: Alert): void {
    // Escalated (too few workstations live): three bells instead of one.
    if (a.kind !== 'health') this.write(a.escalated ? '\x07\x07\x07' : '\x07')
  }
}

/** Wires engine events to the output (alerts come through TerminalSink). */
export function attachOutput(engine: EngineHandle, out: TerminalOutput): () => void {
  const offs = [
    engine.on('state', (s) => out.state(s)),
    // Not through TerminalSink: the engine's own event, the path every UI shares.
    engine.on('update', (a) => out.update(a)),
    engine.on('snapshot', (s) => {
      out.queue(s.queue)
      out.workstations(s.workstations)
      out.outbox(s.outbox)
      out.redraw(s)
    }),
    engine.on('health', (h) => out.health(h)),
    engine.on('error', (e) => out.error(e.message, e.cause)),
    engine.on('retract', (r) => out.withdrawn(r)),
  ]
  return () => offs.forEach((f) => f())
}
