// A backlog read end to end: the Reconciler (real supabase-js, signed in as a mechanic) against the real
// queued_requests function. The page size it asks for is the most the function serves — checked here against the
// function itself, since a page size above its clamp would make a full page look like the last one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { startBackend, type Backend } from '../backend/index.js'
import { signedIn } from '../backend/helpers.js'
import { insertQueuedBulk } from '../backend/simulate.js'
import { QUEUED_REQUESTS_MAX_PAGE, Reconciler } from '../../src/core/feed/reconcile.js'
import { TimerRegistry } from '../../src/core/link/timers.js'
import type { QueueSnapshot } from '../../src/core/facts.js'
import type { Logger } from '../../src/core/ports.js'

const BACKLOG = 1500
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} }

let b: Backend
let mechanic: SupabaseClient
let ids: string[]

beforeAll(async () => {
  b = await startBackend({ port: 0, realtime: false })
  ids = await insertQueuedBulk(b.sql, BACKLOG, 'Backlog')
  mechanic = await signedIn(b, b.demoUsers[0]!)
}, 120_000)
afterAll(async () => {
  await b?.stop()
})

async function readBacklog(pageSize?: number): Promise<{ snapshot: QueueSnapshot; pages: number }> {
  const timers = new TimerRegistry()
  const snaps: QueueSnapshot[] = []
  const r = new Reconciler({ client: mechanic, log: quiet, clock: { now: () => Date.now() }, timers, pageSize, apply: (s) => snaps.push(s), onHealth: () => {} })
  try {
    r.enable()
    r.request('startup')
    await r.idle()
    expect(snaps).toHaveLength(1)
    return { snapshot: snaps[0]!, pages: r.stats.pages }
  } finally {
    r.stop()
    timers.closeAll()
  }
}

describe('backlog read', () => {
  it('queued_requests serves at most QUEUED_REQUESTS_MAX_PAGE rows, whatever is asked', async () => {
    const r = await mechanic.rpc('queued_requests', { p_after_queued_at: null, p_after_id: null, p_limit: 5000 })
    expect(r.error).toBeNull()
    expect(r.data).toHaveLength(QUEUED_REQUESTS_MAX_PAGE)
  })

  it(`${BACKLOG} queued requests: all of them, with details, in two pages`, async () => {
    const { snapshot, pages } = await readBacklog()
    expect(pages).toBe(2)
    expect(new Set(snapshot.requests.map((q) => q.requestId))).toEqual(new Set(ids))
    expect(snapshot.requests.every((q) => q.details?.customerName?.startsWith('Backlog '))).toBe(true)
  })

  it('a page size above the function\'s cap still reads the whole queue', async () => {
    const { snapshot } = await readBacklog(5000)
    expect(snapshot.requests).toHaveLength(BACKLOG)
  })
})
