// One event path from the desk to every UI, through a real Engine (real store, real desk; signed out, so
// the link never dials): the snapshot carries the queue the desk just listed, and an enrichment of a
// request already shown reaches the headless --json stream.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createEngine } from '../../../src/core/engine.js'
import type { Engine } from '../../../src/core/engine.js'
import { MemorySecretStore } from '../../../src/core/memory-secret-store.js'
import { TerminalOutput, attachOutput } from '../../../src/cli/output.js'
import type { EngineSnapshot } from '../../../src/shared/types.js'
import { captureLog, details, queued } from './helpers.js'

let dir: string
let engine: Engine
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bayalert-path-'))
  engine = createEngine(
    // Loopback, and no session is stored: the engine starts signed out and never connects.
    { supabaseUrl: 'http://127.0.0.1:9', anonKey: 'anon', dataDir: dir, workstationId: 'ws-test', appVersion: '0.0.0' },
    { secrets: new MemorySecretStore(), sinks: [], log: captureLog() },
  ) as Engine
  await engine.start()
})
afterEach(async () => {
  await engine.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** Microtasks: the desk's queue emit, then the engine's snapshot emit. */
const settle = () => new Promise<void>((r) => setTimeout(r, 0))

describe('the snapshot carries the queue the desk just computed', () => {
  it('one store read per change, however many UIs listen to snapshots', async () => {
    const snapshots: EngineSnapshot[] = []
    // Three listeners, as headless (terminal + loopback UI) or Electron (windows) have.
    for (let i = 0; i < 3; i++) engine.on('snapshot', (s) => snapshots.push(s))
    const lines: string[] = []
    const detach = attachOutput(engine, new TerminalOutput({ json: true, tty: false, out: (l) => lines.push(l) }))
    await settle()
    const listQueue = vi.spyOn(engine.core!.store, 'listQueue')
    engine.core!.desk.ingest(queued('r1'))
    await settle()
    expect(snapshots.at(-1)!.queue.map((q) => q.requestId)).toEqual(['r1'])
    expect(lines.map((l) => JSON.parse(l).type)).toContain('queue')
    expect(listQueue).toHaveBeenCalledTimes(1)
    // A snapshot asked for with nothing changed reads nothing.
    engine.snapshot()
    expect(listQueue).toHaveBeenCalledTimes(1)
    // The next change is read once more, and the snapshot shows it.
    await engine.acknowledge('r1')
    await settle()
    expect(listQueue).toHaveBeenCalledTimes(2)
    expect(snapshots.at(-1)!.queue[0]!.acknowledged).toBe(true)
    detach()
  })
})

describe('headless --json shows an enrichment', () => {
  it('a request that rang basic and then got its details: the queue line it causes carries the new text', async () => {
    const lines: string[] = []
    const detach = attachOutput(engine, new TerminalOutput({ json: true, tty: false, out: (l) => lines.push(l) }))
    engine.core!.desk.ingest(queued('r1', { details: null }))
    await settle()
    engine.core!.desk.ingest(details('r1'))
    await settle()
    const queueLines = lines.map((l) => JSON.parse(l) as { type: string; items: { detail: string }[]; updates?: unknown[] }).filter((l) => l.type === 'queue')
    const last = queueLines.at(-1)!
    expect(last.items[0]!.detail).toBe('full')
    expect(last.updates).toEqual([
      { requestId: 'r1', kind: 'request', detail: 'full', title: 'New request: Dana Diaz', body: '2015 Ford F-150 · Check engine light · chat' },
    ])
    // The basic ring's queue line carried no update.
    expect(queueLines.filter((l) => l.updates)).toHaveLength(1)
    detach()
  })
})
