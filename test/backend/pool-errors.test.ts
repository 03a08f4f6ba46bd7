// The backend's database pools when PostgreSQL ends a connection (a restart, an administrator): the error is
// logged, and never thrown as an uncaught exception — also for a client checked out between two queries.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startBackend, type Backend } from './index.js'
import { sleep } from './helpers.js'
import { RealtimeDatabase } from './realtime/database.js'

let b: Backend
const logs: string[] = []
beforeAll(async () => {
  b = await startBackend({ port: 0, realtime: false, seedDemo: false, log: (m) => logs.push(m) })
}, 60_000)
afterAll(async () => {
  await b?.stop()
})

it('a checked-out client whose connection is terminated is logged, not thrown', async () => {
  const uncaught: unknown[] = []
  const onUncaught = (e: unknown) => uncaught.push(e)
  process.on('uncaughtException', onUncaught)
  const held = await b.sql.connect()
  try {
    const pid = (await held.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid
    await b.sql.query('select pg_terminate_backend($1)', [pid])
    for (let i = 0; i < 100 && !logs.some((l) => /connection lost/.test(l)); i++) await sleep(20)
    expect(uncaught).toEqual([])
    expect(logs.filter((l) => /postgres pool: connection lost: terminating connection due to administrator command/.test(l))).toHaveLength(1)
  } finally {
    held.release(true)
    process.off('uncaughtException', onUncaught)
  }
  // The pool replaces the dead connection.
  expect((await b.sql.query('select 1 as one')).rows).toEqual([{ one: 1 }])
})

it('the realtime server’s pool: a checked-out client whose connection is terminated is logged, not thrown', async () => {
  const warnings: string[] = []
  const db = new RealtimeDatabase(b.databaseUrl, { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) }, { onCapture: () => undefined, onListenerDown: () => undefined, onListenerUp: () => undefined })
  const uncaught: unknown[] = []
  const onUncaught = (e: unknown) => uncaught.push(e)
  process.on('uncaughtException', onUncaught)
  // What asRole holds between the queries of its transaction.
  const held = await db['pool'].connect()
  try {
    const pid = (await held.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid
    await b.sql.query('select pg_terminate_backend($1)', [pid])
    for (let i = 0; i < 100 && warnings.length === 0; i++) await sleep(20)
    expect(uncaught).toEqual([])
    expect(warnings).toContain('realtime: database connection lost: terminating connection due to administrator command')
  } finally {
    held.release(true)
    process.off('uncaughtException', onUncaught)
    await db['pool'].end()
  }
})
