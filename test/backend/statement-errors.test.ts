// PostgreSQL's statement-level ERROR lines (a query refused) are logged by a backend of its own (npm run
// backend: a developer watches that terminal) but not by the shared test cluster, where tests provoke them
// on purpose and assert on the answer the client gets — logged there, they read as failures in npm test.
import { afterAll, describe, expect, it } from 'vitest'
import { startBackend, type Backend } from './index.js'

const started: Backend[] = []
afterAll(async () => {
  await Promise.all(started.map((b) => b.stop()))
})

async function refusedQueryLogs(dedicatedCluster: boolean): Promise<string[]> {
  const lines: string[] = []
  const b = await startBackend({ port: 0, realtime: false, dedicatedCluster, log: (m) => lines.push(m) })
  started.push(b)
  await expect(b.sql.query('select * from public.no_such_table_here')).rejects.toThrow(/does not exist/)
  // The server writes its log line asynchronously: wait for it where it is logged, bounded.
  const deadline = Date.now() + 3000
  while (Date.now() < deadline && !lines.some((l) => /ERROR/.test(l))) await new Promise((r) => setTimeout(r, 50))
  return lines.filter((l) => /no_such_table_here/.test(l))
}

describe('statement errors in the backend log', () => {
  it('a backend with a cluster of its own logs the ERROR line', async () => {
    const logged = await refusedQueryLogs(true)
    expect(logged).toEqual([expect.stringMatching(/^postgres: .*ERROR: +relation "public\.no_such_table_here" does not exist/)])
  }, 120_000)

  it('the shared test cluster does not', async () => {
    expect(await refusedQueryLogs(false)).toEqual([])
  }, 120_000)
})
