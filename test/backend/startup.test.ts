// Start-up cost of the backend (targets: cold < 5 s, warm well under 2 s) and clean shutdown (no orphans).
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { startBackend } from './index.js'
import { anonClient } from './helpers.js'

function postmasterAlive(databaseUrl: string): boolean {
  // The cluster's data dir is not exposed; find our postmaster by its port in /proc.
  const port = new URL(databaseUrl).port
  try {
    const out = readFileSync('/proc/net/tcp', 'utf8')
    const hex = Number(port).toString(16).toUpperCase().padStart(4, '0')
    return out.split('\n').some((l) => l.includes(`:${hex} `) && l.trim().split(/\s+/)[3] === '0A')
  } catch {
    return false
  }
}

describe('start-up', () => {
  it('cold and warm start, measured', async () => {
    const t0 = Date.now()
    const cold = await startBackend({ port: 0 })
    const coldMs = Date.now() - t0
    const t1 = Date.now()
    const warm = await startBackend({ port: 0 })
    const warmMs = Date.now() - t1
    const t2 = Date.now()
    const bare = await startBackend({ port: 0, seedDemo: false, realtime: false })
    const bareMs = Date.now() - t2
    try {
      const r = await anonClient(warm).auth.signInWithPassword({ email: warm.demoUsers[0].email, password: warm.demoUsers[0].password })
      expect(r.error).toBeNull()
      // Each backend has its own database.
      expect(new Set([cold.databaseName, warm.databaseName, bare.databaseName]).size).toBe(3)
      console.log(
        `[startup] cold ${coldMs} ms (cluster ${cold.timings.clusterMs} ms incl. initdb ${cold.timings.initdbMs} ms, template ${cold.timings.templateMs} ms, ` +
          `database ${cold.timings.databaseMs} ms, cluster warm: ${cold.timings.clusterWasWarm}); warm ${warmMs} ms; warm without seed/realtime ${bareMs} ms`,
      )
      expect(coldMs).toBeLessThan(cold.timings.clusterWasWarm ? 2000 : 10_000)
      expect(warmMs).toBeLessThan(2000)
    } finally {
      await Promise.all([cold.stop(), warm.stop(), bare.stop()])
    }
  })

  it('a dedicated cluster is stopped by stop()', async () => {
    const d = await startBackend({ port: 0, dedicatedCluster: true, realtime: false, seedDemo: false })
    expect(postmasterAlive(d.databaseUrl)).toBe(true)
    await d.stop()
    expect(postmasterAlive(d.databaseUrl)).toBe(false)
  })
})
