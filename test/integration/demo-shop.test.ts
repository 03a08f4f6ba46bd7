// npm start's demo shop keeps its data beside the app's demo data: a request queued before a restart is
// still queued after it, and --reset-demo's reset gives an empty shop. The real backend (PostgreSQL as the
// unprivileged postgres user when this runs as root) in the directories npm start uses, inside a
// temporary project.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startBackend, type Backend } from '../backend/index.js'
import { fakeCustomer, insertRequest, rng } from '../backend/simulate.js'
import { demoDirs, prepareDemoDirs, resetDemo } from '../../scripts/launcher/demo-shop.mjs'

const root = mkdtempSync(join(tmpdir(), 'bayalert-demo-project-'))
chmodSync(root, 0o755)
const dirs = demoDirs(root, {})
let running: Backend | null = null
afterAll(async () => {
  await running?.stop()
  rmSync(root, { recursive: true, force: true })
})

async function withShop<T>(fn: (b: Backend) => Promise<T>): Promise<T> {
  running = await startBackend({ port: 0, dataDir: dirs.shopDir, log: () => undefined })
  try {
    return await fn(running)
  } finally {
    await running.stop()
    running = null
  }
}

const queuedIds = async (b: Backend) =>
  (await b.sql.query<{ id: string }>(`select id from public.session_assignments where status = 'queued' order by id`)).rows.map((r) => r.id)

describe('the demo shop across restarts', () => {
  it('a restart continues the same shop; a reset starts an empty one', async () => {
    expect(prepareDemoDirs(dirs, { root, isRoot: process.getuid?.() === 0 })).toBeNull()
    const before = await withShop(async (b) => {
      const r = await insertRequest(b.sql, fakeCustomer(rng(7)))
      return { id: r.id, queued: await queuedIds(b) }
    })
    expect(before.queued).toEqual([before.id])

    expect(await withShop(queuedIds)).toEqual([before.id])

    const reset = resetDemo(dirs)
    expect(reset).toEqual({ ok: true, removed: [join(dirs.shopDir, 'pgdata')] })
    expect(await withShop(queuedIds)).toEqual([])
  }, 180_000)
})
