// The outbox's rules: claims made while the link is down replay oldest first, one intent per request, a temporary
// failure holds the line and retries on the RetryTimer's backoff, a conflict names who had it, and entries survive
// closing the store (a restart) — including a data file written before the outbox existed.
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Store } from '../../../src/core/store/store.js'
import { MIGRATIONS, SCHEMA_VERSION } from '../../../src/core/store/schema.js'
import { OutboxTable } from '../../../src/core/store/outbox-table.js'
import { conflictMessage, Outbox, OUTBOX_KEEP_SETTLED_MS, OUTBOX_SHOW_SETTLED_MS, type OutboxDeps } from '../../../src/core/outbox/outbox.js'
import type { AcceptOutcome } from '../../../src/core/outbox/accept-call.js'
import type { TimerHost } from '../../../src/core/link/backoff.js'
import { captureLog } from './helpers.js'

/** Timers that run only when the test says so; records each delay asked for. */
class ManualTimers implements TimerHost {
  readonly pending: { ms: number; fn: () => void; cancelled: boolean }[] = []
  after(ms: number, fn: () => void): () => void {
    const t = { ms, fn, cancelled: false }
    this.pending.push(t)
    return () => (t.cancelled = true)
  }
  sleep(): Promise<boolean> {
    return Promise.resolve(true)
  }
  live() {
    return this.pending.filter((t) => !t.cancelled)
  }
  /** Runs every live timer once. */
  fire(): void {
    for (const t of this.live()) {
      t.cancelled = true
      t.fn()
    }
  }
}

let dir: string
let path: string
let store: Store
let now: number
let timers: ManualTimers
let sent: string[]
let answers: Map<string, AcceptOutcome[]>
let up: boolean
let counts: Record<string, number>
let changes: number
const log = captureLog()

function outbox(over: Partial<OutboxDeps> = {}): Outbox {
  return new Outbox({
    table: store.prepareTable((connection) => new OutboxTable(connection)),
    send: async (id) => {
      sent.push(id)
      return answers.get(id)?.shift() ?? { kind: 'done' }
    },
    canSend: () => up,
    timers,
    clock: { now: () => now },
    log,
    count: (k) => (counts[k] = (counts[k] ?? 0) + 1),
    changed: () => changes++,
    random: () => 0.5,
    ...over,
  })
}

const states = (o: Outbox) => o.entries().map((e) => [e.requestId, e.state])

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bayalert-outbox-'))
  path = join(dir, 'bayalert.db')
  store = Store.open({ path, log })
  now = 1_000_000_000
  timers = new ManualTimers()
  sent = []
  answers = new Map()
  up = false
  counts = {}
  changes = 0
})

afterEach(() => {
  if (store.isOpen) store.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('outbox', () => {
  it('holds claims while the link is down and replays them oldest first once it is up', async () => {
    const o = outbox()
    o.enqueue('r-a', 'Ana')
    now += 1
    o.enqueue('r-b', 'Ben')
    now += 1
    o.enqueue('r-c', null)
    await o.drain()
    expect(sent).toEqual([])
    expect(states(o)).toEqual([['r-a', 'pending'], ['r-b', 'pending'], ['r-c', 'pending']])
    up = true
    o.linkUp()
    await o.drain()
    expect(sent).toEqual(['r-a', 'r-b', 'r-c'])
    expect(states(o)).toEqual([['r-a', 'done'], ['r-b', 'done'], ['r-c', 'done']])
    expect(o.pendingCount).toBe(0)
    expect(counts).toMatchObject({ 'outbox:queued': 3, 'outbox:done': 3 })
    expect(changes).toBeGreaterThanOrEqual(6)
  })

  it('a second Take it of a request still pending is the same intent: one entry, one key, one send', async () => {
    const o = outbox()
    const first = o.enqueue('r-a', 'Ana')
    const again = o.enqueue('r-a', 'Ana')
    expect(again.key).toBe(first.key)
    expect(o.entries()).toHaveLength(1)
    expect(counts['outbox:queued']).toBe(1)
    up = true
    await o.drain()
    expect(sent).toEqual(['r-a'])
    // Once it ended, a new Take it is a new intent with its own key.
    const later = o.enqueue('r-a', 'Ana')
    expect(later.key).not.toBe(first.key)
    expect(later.state).toBe('pending')
  })

  it('every intent gets a distinct key', () => {
    const o = outbox()
    const keys = ['r-a', 'r-b', 'r-c'].map((id) => o.enqueue(id, null).key)
    expect(new Set(keys).size).toBe(3)
    for (const k of keys) expect(k).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('a temporary failure holds the line: later claims wait, the same one retries after the backoff (2 s, then 4 s)', async () => {
    const o = outbox()
    o.enqueue('r-a', null)
    o.enqueue('r-b', null)
    answers.set('r-a', [{ kind: 'temporary', why: 'network error' }, { kind: 'temporary', why: 'timed out' }])
    up = true
    await o.drain()
    expect(sent).toEqual(['r-a'])
    expect(states(o)).toEqual([['r-a', 'pending'], ['r-b', 'pending']])
    expect(timers.live().map((t) => t.ms)).toEqual([2000])
    expect(counts['outbox:retry']).toBe(1)
    timers.fire()
    await o.drain()
    expect(sent).toEqual(['r-a', 'r-a'])
    expect(timers.live().map((t) => t.ms)).toEqual([4000])
    timers.fire()
    await o.drain()
    expect(sent).toEqual(['r-a', 'r-a', 'r-a', 'r-b'])
    expect(states(o)).toEqual([['r-a', 'done'], ['r-b', 'done']])
    expect(timers.live()).toEqual([]) // success: nothing left pending
    expect(log.lines.some((l) => l.level === 'warn' && l.fields?.cause === 'timed out')).toBe(true)
  })

  it('a claim that just failed on the direct path waits the backoff before its first replay', async () => {
    const o = outbox()
    up = true
    const e = o.enqueue('r-a', null, 'server error 503')
    expect(e.state).toBe('pending')
    expect(timers.live().map((t) => t.ms)).toEqual([2000])
    expect(sent).toEqual([])
    expect(counts['outbox:retry']).toBe(1)
    timers.fire() // the backoff's own callback replays it
    await new Promise((r) => setImmediate(r))
    expect(sent).toEqual(['r-a'])
    expect(states(o)).toEqual([['r-a', 'done']])
  })

  it('a new claim during a backoff waits for it: pressing Take it again is no way around the backoff', async () => {
    const o = outbox()
    up = true
    o.enqueue('r-a', null, 'server error 503')
    o.enqueue('r-b', null)
    o.kick()
    await new Promise((r) => setImmediate(r))
    expect(sent).toEqual([])
    timers.fire()
    await o.drain()
    expect(sent).toEqual(['r-a', 'r-b'])
  })

  it('a new claim with no backoff waiting is sent at once', async () => {
    const o = outbox()
    up = true
    o.enqueue('r-a', null)
    o.kick()
    await new Promise((r) => setImmediate(r))
    expect(sent).toEqual(['r-a'])
  })

  it('after a success the backoff starts over at 2 s', async () => {
    const o = outbox()
    up = true
    answers.set('r-a', [{ kind: 'temporary', why: 'x' }, { kind: 'temporary', why: 'x' }])
    o.enqueue('r-a', null)
    await o.drain()
    timers.fire()
    await o.drain()
    timers.fire()
    await o.drain()
    expect(states(o)).toEqual([['r-a', 'done']])
    answers.set('r-b', [{ kind: 'temporary', why: 'x' }])
    o.enqueue('r-b', null)
    await o.drain()
    expect(timers.live().map((t) => t.ms)).toEqual([2000])
  })

  it('the link coming back skips the waiting backoff', async () => {
    const o = outbox()
    up = true
    answers.set('r-a', [{ kind: 'temporary', why: 'x' }])
    o.enqueue('r-a', null)
    await o.drain()
    expect(timers.live()).toHaveLength(1)
    o.linkUp()
    await o.drain()
    expect(sent).toEqual(['r-a', 'r-a'])
    expect(timers.live()).toEqual([])
    expect(states(o)).toEqual([['r-a', 'done']])
  })

  it('linkUp with nothing pending sends nothing', async () => {
    const o = outbox()
    up = true
    o.linkUp()
    await o.drain()
    expect(sent).toEqual([])
  })

  it('a send that throws is a temporary failure, not a lost claim', async () => {
    const o = outbox({ send: async () => Promise.reject(new Error('socket hang up')) })
    up = true
    o.enqueue('r-a', null)
    await o.drain()
    expect(states(o)).toEqual([['r-a', 'pending']])
    expect(timers.live()).toHaveLength(1)
    expect(log.lines.some((l) => l.level === 'warn' && l.fields?.cause === 'socket hang up' && l.fields?.requestId === 'r-a')).toBe(true)
  })

  it('a claim someone else won meanwhile ends as a conflict naming them; later claims still go', async () => {
    const o = outbox()
    answers.set('r-a', [{ kind: 'taken', takenBy: 'Ana' }])
    answers.set('r-b', [{ kind: 'taken', takenBy: null }])
    o.enqueue('r-a', 'Maria Gonzalez')
    o.enqueue('r-b', null)
    o.enqueue('r-c', null)
    const ended: string[] = []
    up = true
    const o2 = outbox({ settled: (e) => ended.push(`${e.requestId}:${e.state}`) })
    await o2.drain()
    const [a, b, c] = o.entries()
    expect(a).toMatchObject({ state: 'conflict', takenBy: 'Ana', message: 'Taken by Ana while you were offline', customerName: 'Maria Gonzalez', settledAt: now })
    expect(b).toMatchObject({ state: 'conflict', takenBy: null, message: 'Taken by another mechanic while you were offline' })
    expect(c).toMatchObject({ state: 'done', message: null })
    expect(ended).toEqual(['r-a:conflict', 'r-b:conflict', 'r-c:done'])
    expect(counts['outbox:conflict']).toBe(2)
  })

  it('cancelled meanwhile ends as gone, a refusal for good as failed, each with its message', async () => {
    const o = outbox()
    answers.set('r-a', [{ kind: 'gone', message: 'The customer cancelled this request.' }])
    answers.set('r-b', [{ kind: 'refused', message: 'The server refused: not_a_mechanic' }])
    o.enqueue('r-a', null)
    o.enqueue('r-b', null)
    up = true
    await o.drain()
    expect(o.entries().map((e) => [e.state, e.message])).toEqual([
      ['gone', 'The customer cancelled this request.'],
      ['failed', 'The server refused: not_a_mechanic'],
    ])
    expect(timers.live()).toEqual([])
  })

  it('conflictMessage says who, or another mechanic', () => {
    expect(conflictMessage('Ana')).toBe('Taken by Ana while you were offline')
    expect(conflictMessage(null)).toBe('Taken by another mechanic while you were offline')
  })

  it('drains once at a time: a second drain during a replay joins it instead of sending twice', async () => {
    let release!: () => void
    const o = outbox({
      send: (id) => {
        sent.push(id)
        return new Promise<AcceptOutcome>((r) => (release = () => r({ kind: 'done' })))
      },
    })
    up = true
    o.enqueue('r-a', null)
    const first = o.drain()
    const second = o.drain()
    expect(second).toBe(first)
    await Promise.resolve()
    release()
    await first
    expect(sent).toEqual(['r-a'])
  })

  it('stopped mid-send: the answer is dropped and the claim stays pending for the next start', async () => {
    let release!: () => void
    const o = outbox({
      send: () => new Promise<AcceptOutcome>((r) => (release = () => r({ kind: 'done' }))),
    })
    up = true
    o.enqueue('r-a', null)
    const run = o.drain()
    await Promise.resolve()
    o.stop()
    release()
    await run
    await o.drain()
    expect(states(outbox())).toEqual([['r-a', 'pending']]) // as the next start reads it
  })

  it('after stop (the store closed) the last entries read are still answered', () => {
    const o = outbox()
    o.enqueue('r-a', 'Ana')
    expect(states(o)).toEqual([['r-a', 'pending']])
    o.stop()
    store.close()
    expect(states(o)).toEqual([['r-a', 'pending']])
  })

  it('while the file cannot take writes, claims go to the store\'s in-memory copy and reach the file when it can again', async () => {
    const o = outbox()
    o.enqueue('r-before', null)
    store.pragmaOnFile('query_only = 1') // as on a read-only file system
    store.setMeta('probe', '1') // a desk write finds the file unavailable: the store holds in memory
    expect(store.held).not.toBeNull()
    o.enqueue('r-held', 'Ana')
    expect(states(o)).toEqual([['r-before', 'pending'], ['r-held', 'pending']])
    store.pragmaOnFile('query_only = 0')
    expect(store.writeBackHeld()).toBeNull()
    store.close()
    store = Store.open({ path, log })
    expect(states(outbox())).toEqual([['r-before', 'pending'], ['r-held', 'pending']])
  })

  it('pending claims survive a restart with their keys, and replay after it', async () => {
    const key = outbox().enqueue('r-a', 'Ana').key
    store.close()
    store = Store.open({ path, log })
    const o = outbox()
    expect(o.entries()).toMatchObject([{ requestId: 'r-a', key, state: 'pending', customerName: 'Ana' }])
    up = true
    await o.drain()
    expect(sent).toEqual(['r-a'])
  })

  it('the window shows an ended claim for 15 minutes, and the store keeps it a day', () => {
    expect(OUTBOX_SHOW_SETTLED_MS).toBe(15 * 60_000)
    expect(OUTBOX_KEEP_SETTLED_MS).toBe(24 * 3600_000)
  })

  it('a settled entry shows for 15 minutes; after a day it is deleted on open; a pending one is never', async () => {
    const first = outbox()
    first.enqueue('r-old', null)
    up = true
    await first.drain()
    up = false
    first.enqueue('r-waiting', null)
    outbox() // a restart soon after: the settled entry is kept
    expect(states(first)).toEqual([['r-old', 'done'], ['r-waiting', 'pending']])
    now += OUTBOX_SHOW_SETTLED_MS
    expect(states(first)).toEqual([['r-old', 'done'], ['r-waiting', 'pending']])
    now += 1
    expect(states(first)).toEqual([['r-waiting', 'pending']])
    now += OUTBOX_KEEP_SETTLED_MS
    outbox()
    const db = new Database(path, { readonly: true })
    expect(db.prepare('SELECT request_id, state FROM outbox ORDER BY id').all()).toEqual([{ request_id: 'r-waiting', state: 'pending' }])
    db.close()
  })
})

describe('outbox table in an older data file', () => {
  it('a store written before the outbox existed opens, keeps its queue and gains the table', () => {
    store.close()
    rmSync(path, { force: true })
    const db = new Database(path)
    db.exec(`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL, description TEXT)`)
    db.exec(MIGRATIONS[0]!.sql)
    db.prepare(`INSERT INTO schema_version VALUES (1, 0, 'v1')`).run()
    db.prepare(`INSERT INTO meta (key, value) VALUES ('cursor', 'kept')`).run()
    db.close()
    store = Store.open({ path, log })
    expect(store.schemaVersion()).toBe(SCHEMA_VERSION)
    expect(store.movedAsideTo).toBeNull()
    expect(store.getMeta('cursor')).toBe('kept')
    const o = outbox()
    o.enqueue('r-a', null)
    expect(o.pendingCount).toBe(1)
  })
})
