// Shared helpers for the state-core tests: a capturing logger, recording sinks, fact builders and a
// temp-dir harness that can "restart" (close and reopen the same database file).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { vi } from 'vitest'
import type { FactSource } from '../../../src/shared/types.js'
import type { QueuedFact, RemovedFact, DetailsFact, RejectedFact, QueueSnapshot } from '../../../src/core/facts.js'
import type { Alert, AlertSink, Logger, SinkTier } from '../../../src/core/ports.js'
import { canonicalTime } from '../../../src/core/store/keys.js'
import { openStateCore, type StateCore, type StateCoreOptions } from '../../../src/core/desk/state-core.js'

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error'
  msg: string
  fields?: Record<string, unknown>
}

export function captureLog(): Logger & { lines: LogLine[]; errors(): LogLine[] } {
  const lines: LogLine[] = []
  const at = (level: LogLine['level']) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields })
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), errors: () => lines.filter((l) => l.level === 'error') }
}

export interface RecordingSink extends AlertSink {
  alerts: Alert[]
  /** update() calls; sound and attention sinks do not implement update (like the real ones). */
  updates: Alert[]
  retracts: string[]
  counts: number[]
}

export function recordingSink(
  name: string,
  tier: SinkTier,
  behave?: (a: Alert) => void | Promise<void>,
  behaveUpdate?: (a: Alert) => void | Promise<void>,
): RecordingSink {
  const s: RecordingSink = {
    name,
    tier,
    alerts: [],
    updates: [],
    retracts: [],
    counts: [],
    alert(a) {
      s.alerts.push(a)
      return behave?.(a)
    },
    retract(id) {
      s.retracts.push(id)
    },
    queueChanged(n) {
      s.counts.push(n)
    },
  }
  if (tier !== 'sound' && tier !== 'attention') {
    s.update = (a) => {
      s.updates.push(a)
      return behaveUpdate?.(a)
    }
  }
  return s
}

/** One sink per tier. */
export function allTierSinks(): Record<SinkTier, RecordingSink> {
  return {
    notification: recordingSink('notify', 'notification'),
    sound: recordingSink('sound', 'sound'),
    attention: recordingSink('attention', 'attention'),
    'in-app': recordingSink('in-app', 'in-app'),
    terminal: recordingSink('terminal', 'terminal'),
  }
}

let seq = 0
export const T0 = Date.parse('2026-03-02T09:00:00.000Z')

/**
 * A queued fact as the parsers deliver it: times canonical (canonicalTime), whatever spelling a test
 * writes — the desk does not re-validate what the parsers validated.
 */
export function queued(requestId: string, over: Partial<QueuedFact> = {}): QueuedFact {
  const f: QueuedFact = {
    kind: 'queued',
    source: 'postgres_changes',
    eventId: `ev-${++seq}`,
    commitTs: null,
    receivedAt: Date.now(),
    requestId,
    queuedAt: '2026-03-02T08:59:59.500000+00:00',
    sessionId: `s-${requestId}`,
    details: { customerName: `Customer ${requestId}`, vehicle: '2019 Honda Civic', concern: 'Brakes squeal', sessionType: 'video' },
    ...over,
  }
  return { ...f, queuedAt: canonicalTime(f.queuedAt), commitTs: canonicalTime(f.commitTs) }
}

/**
 * What a reconcile read hands the desk: these requests (ids, or queued facts) as the server's whole queue, as read
 * from now; trigger 'timer' unless `over` says otherwise.
 */
export function serverQueue(requests: readonly (string | QueuedFact)[], over: Partial<QueueSnapshot> = {}): QueueSnapshot {
  return {
    trigger: 'timer',
    requests: requests.map((r) => ({ ...(typeof r === 'string' ? queued(r) : r), source: 'reconcile' as const })),
    startedAt: Date.now(),
    ...over,
  }
}

export function removed(requestId: string, over: Partial<RemovedFact> = {}): RemovedFact {
  return { kind: 'removed', source: 'postgres_changes', eventId: `ev-${++seq}`, commitTs: null, receivedAt: Date.now(), requestId, reason: 'accepted', status: 'accepted', ...over }
}

export function details(requestId: string, over: Partial<DetailsFact> = {}): DetailsFact {
  return {
    kind: 'details',
    source: 'postgres_changes',
    eventId: `ev-${++seq}`,
    commitTs: null,
    receivedAt: Date.now(),
    requestId,
    details: { customerName: 'Dana Diaz', vehicle: '2015 Ford F-150', concern: 'Check engine light', sessionType: 'chat' },
    ...over,
  }
}

export function rejected(reason: string, source: FactSource = 'broadcast'): RejectedFact {
  return { kind: 'rejected', source, eventId: `ev-${++seq}`, commitTs: null, receivedAt: Date.now(), reason, raw: '{"bad":true}' }
}

/** Lets pending promises and microtasks (sink calls, queue emits) run under fake timers. */
export async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0)
}

export interface Harness {
  dir: string
  dbPath: string
  log: ReturnType<typeof captureLog>
  sinks: Record<SinkTier, RecordingSink>
  core: StateCore
  /** Closes and reopens the same file with fresh sinks: a simulated app restart. */
  restart(over?: Partial<StateCoreOptions>): StateCore
  /** Every alert the (current) notification-tier sink saw. */
  alerts(): Alert[]
  dispose(): void
}

export function harness(over: Partial<StateCoreOptions> = {}): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'bayalert-core-'))
  const dbPath = join(dir, 'data', 'bayalert.db')
  const log = captureLog()
  const h: Harness = {
    dir,
    dbPath,
    log,
    sinks: allTierSinks(),
    core: undefined as unknown as StateCore,
    restart(more = {}) {
      h.core.close()
      h.sinks = allTierSinks()
      h.core = openStateCore({ dbPath, sinks: Object.values(h.sinks), log, ...over, ...more })
      h.core.desk.start()
      return h.core
    },
    alerts: () => h.sinks['in-app'].alerts,
    dispose() {
      h.core.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  h.core = openStateCore({ dbPath, sinks: Object.values(h.sinks), log, ...over })
  h.core.desk.start()
  return h
}
