// The headless CLI as a child process: SIGKILL mid-stream of requests, restart on the same data dir —
// nothing lost, nothing rung twice. Also: clean SIGTERM, and one clear message + exit code per bad config.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { DEMO_SERVICE_ROLE_KEY } from '../backend/index.js'
import { backend, createRequest, sleep } from './helpers.js'

const ROOT = resolve(import.meta.dirname, '../..')

interface Child {
  proc: ChildProcess
  lines: Record<string, unknown>[]
  stderr: string[]
  exit: Promise<number | null>
  waitLine(pred: (l: Record<string, unknown>) => boolean, ms: number, what: string): Promise<Record<string, unknown>>
}

function headless(env: Record<string, string>, args: string[] = ['--json', '--no-ui']): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/headless.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BAYALERT_NO_NOTIFIER: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: Record<string, unknown>[] = []
  const stderr: string[] = []
  const waiters = new Set<() => void>()
  let buf = ''
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString()
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      if (!line.trim()) continue
      lines.push(JSON.parse(line) as Record<string, unknown>) // every stdout line must be JSON
      for (const w of [...waiters]) w()
    }
  })
  proc.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()))
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)))
  return {
    proc,
    lines,
    stderr,
    exit,
    waitLine(pred, ms, what) {
      return new Promise((res, rej) => {
        const check = () => {
          const hit = lines.find(pred)
          if (!hit) return false
          clearTimeout(t)
          waiters.delete(check)
          res(hit)
          return true
        }
        const t = setTimeout(() => {
          waiters.delete(check)
          rej(new Error(`timed out waiting for ${what}; stderr: ${stderr.join('').slice(-2000)}`))
        }, ms)
        if (!check()) waiters.add(check)
      })
    },
  }
}

function rungIds(lines: Record<string, unknown>[]): string[] {
  return lines
    .filter((l) => l.type === 'alert' && l.kind !== 'health')
    .flatMap((l) => (typeof l.requestId === 'string' ? [l.requestId] : ((l.summaryOf as string[] | undefined) ?? [])))
}

let b: Backend
let dataDir: string
beforeAll(async () => {
  b = await backend()
  dataDir = mkdtempSync(join(tmpdir(), 'bayalert-headless-'))
}, 120_000)
afterAll(async () => {
  await b?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe('headless', () => {
  it('SIGKILL mid-stream, restart on the same data dir: nothing lost, nothing rung twice', async () => {
    const env = {
      SUPABASE_URL: b.url,
      SUPABASE_ANON_KEY: b.anonKey,
      BAYALERT_EMAIL: b.demoUsers[0]!.email,
      BAYALERT_PASSWORD: b.demoUsers[0]!.password,
      BAYALERT_DATA_DIR: dataDir,
    }
    const a = headless(env)
    await a.waitLine((l) => l.type === 'state' && l.state === 'live', 30_000, 'first run live')
    // The session is kept in a 0600 file.
    expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600)
    const ids: string[] = []
    for (let i = 0; i < 6; i++) {
      ids.push((await createRequest(b, { name: `Stream ${i}` })).id)
      await sleep(i % 2 ? 400 : 1200) // some ring alone, some land in one burst window
    }
    await a.waitLine(() => rungIds(a.lines).length >= 3, 5000, 'some rings before the kill')
    a.proc.kill('SIGKILL')
    await a.exit
    for (let i = 6; i < 9; i++) ids.push((await createRequest(b, { name: `While Dead ${i}` })).id)

    const second = headless(env) // no sign-in needed: the stored session is restored
    try {
      // The restored queue shows before the link is up, every item "not confirmed yet".
      const restored = (await second.waitLine((l) => l.type === 'queue', 15_000, 'the restored queue')).items as { requestId: string; confirmed: unknown }[]
      expect(restored.length).toBeGreaterThan(0)
      expect(restored.map((q) => q.confirmed)).toEqual(restored.map(() => false))
      await second.waitLine((l) => l.type === 'state' && l.state === 'live', 30_000, 'second run live')
      await second.waitLine(
        (l) => l.type === 'queue' && Array.isArray(l.items) && ids.every((id) => (l.items as { requestId: string }[]).some((q) => q.requestId === id)),
        15_000,
        'the whole stream in the queue',
      )
      const first = rungIds(a.lines)
      await sleep(1500) // a burst window: anything owed has rung by now
      const after = rungIds(second.lines)
      const both = first.filter((id) => after.includes(id))
      expect(both, 'rung in both runs').toEqual([])
      expect(ids.filter((id) => !first.includes(id) && !after.includes(id)), 'never rung').toEqual([])
      expect(new Set(first).size).toBe(first.length)
      expect(new Set(after).size).toBe(after.length)
      expect(second.lines.some((l) => l.type === 'state' && l.state === 'signed-out' && /Sign-in failed/.test(String(l.reason)))).toBe(false)
      // Each alert line carries the documented fields.
      const al = second.lines.find((l) => l.type === 'alert')!
      expect(al).toMatchObject({ ts: expect.any(String), source: expect.any(String), detail: expect.stringMatching(/full|basic/) })
      expect('latencyMs' in al).toBe(true)
    } finally {
      second.proc.kill('SIGTERM')
      expect(await second.exit).toBe(0) // SIGTERM → engine.stop() → exit 0
    }
  })

  it.each([
    ['a bad URL', { SUPABASE_URL: 'ftp://nope' }, 2, /not an http\(s\) URL/],
    ['a service-role key', { SUPABASE_ANON_KEY: DEMO_SERVICE_ROLE_KEY }, 2, /service-role/],
    ['wrong credentials', { BAYALERT_PASSWORD: 'wrong' }, 3, /Invalid login credentials/],
    ['an unwritable data dir', { BAYALERT_DATA_DIR: '/etc/hostname/sub' }, 2, /not writable/],
  ])('%s: one clear message and a non-zero exit', async (_n, over, code, re) => {
    const env = {
      SUPABASE_URL: b.url,
      SUPABASE_ANON_KEY: b.anonKey,
      BAYALERT_EMAIL: b.demoUsers[0]!.email,
      BAYALERT_PASSWORD: b.demoUsers[0]!.password,
      BAYALERT_DATA_DIR: mkdtempSync(join(tmpdir(), 'bayalert-bad-')),
      ...over,
    }
    const c = headless(env)
    // stdout stays JSON even for failures: an error line with the same message.
    expect(await c.exit).toBe(code)
    const messages = c.stderr.join('').split('\n').filter((l) => l.startsWith('bayalert:') && !/OS notifier/.test(l))
    expect(messages).toHaveLength(1)
    expect(messages[0]).toMatch(re)
    expect(c.lines.filter((l) => l.type === 'error').map((l) => l.message)).toEqual([expect.stringMatching(re)])
    expect(c.stderr.join('') + JSON.stringify(c.lines)).not.toContain(DEMO_SERVICE_ROLE_KEY)
  })
})
