// The headless CLI as a child process: SIGKILL mid-stream of requests, restart on the same data dir —
// nothing lost, nothing rung twice. Also: clean SIGTERM, one clear message + exit code per bad config, one
// run per data directory, the printed queue UI / wallboard URLs (locked without their secret), and the alert-path
// self-test's health alert with the OS answers scripted on PATH.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { DEMO_SERVICE_ROLE_KEY } from '../backend/index.js'
import { backend, createRequest, dropShopPolicy, restoreShopPolicy, sleep } from './helpers.js'
import { startHeadless as headless } from './headless-child.js'

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
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


/** The environment of a headless run signed in as demo mechanic `user` with its own data directory. */
const mechanicEnv = (user: number, dataDir: string) => ({
  SUPABASE_URL: b.url,
  SUPABASE_ANON_KEY: b.anonKey,
  BAYALERT_EMAIL: b.demoUsers[user]!.email,
  BAYALERT_PASSWORD: b.demoUsers[user]!.password,
  BAYALERT_DATA_DIR: dataDir,
})

describe('headless', () => {
  it('SIGKILL mid-stream, restart on the same data dir: nothing lost, nothing rung twice', async () => {
    const env = mechanicEnv(0, dataDir)
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
      // The killed run's lock is stale: taken over (before the engine started), with a line that names it.
      expect(second.stderr.join('')).toContain(`bayalert: took over the data directory lock of a headless run that is no longer running (pid ${a.proc.pid}, since `)
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
      // Each request's alert line carries the documented fields (a health alert, e.g. the alert path's, has no source).
      const al = second.lines.find((l) => l.type === 'alert' && l.kind !== 'health')!
      expect(al).toMatchObject({ ts: expect.any(String), source: expect.any(String), detail: expect.stringMatching(/full|basic/) })
      expect('latencyMs' in al).toBe(true)
    } finally {
      second.proc.kill('SIGTERM')
      expect(await second.exit).toBe(0) // SIGTERM → engine.stop() → exit 0
    }
    expect(existsSync(join(dataDir, 'headless.lock')), 'lock released on a clean stop').toBe(false)
  })

  it('one run per data directory; the printed queue UI and wallboard URLs are locked without their secret', async () => {
    const env = mechanicEnv(1, mkdtempSync(join(tmpdir(), 'bayalert-one-')))
    // The repo's own out/renderer is left alone (a running app may be serving it): building a missing bundle is
    // test/unit/cli/ui-build.test.ts; here, whatever headless found or built, it serves the pages.
    const first = headless(env, ['--json'])
    try {
      await first.waitLine((l) => l.type === 'state' && l.state === 'live', 30_000, 'first run live')
      await waitFor(() => /^wallboard: /m.test(first.stderr.join('')), 90_000, 'the wallboard line')
      const err = first.stderr.join('')
      // At most one progress line if it had to build (and stdout stayed JSON: headless() parses every line).
      expect((err.match(/building the queue UI/g) ?? []).length).toBeLessThanOrEqual(1)
      expect(err).not.toContain('could not build')
      // The two contract lines, one after the other, each URL with its own secret.
      const m = /^queue UI: (http:\/\/127\.0\.0\.1:\d+\/\?k=[\w-]{43})\nwallboard: (http:\/\/127\.0\.0\.1:\d+\/wallboard\?k=[\w-]{43})\n/m.exec(err)
      expect(m, err).not.toBeNull()
      const [queueUrl, wallUrl] = [new URL(m![1]!), new URL(m![2]!)]
      expect(queueUrl.searchParams.get('k')).not.toBe(wallUrl.searchParams.get('k'))
      // The secrets go to those two lines only: not into the JSON stream, not into any other stderr line.
      expect(JSON.stringify(first.lines)).not.toContain(queueUrl.searchParams.get('k'))
      expect(err.split(queueUrl.searchParams.get('k')!).length).toBe(2)

      const port = Number(queueUrl.port)
      const get = (path: string, headers: Record<string, string> = {}) =>
        new Promise<{ status: number; body: string; cookie?: string }>((resolve, reject) => {
          request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
            let body = ''
            res.on('data', (d) => (body += d))
            res.on('end', () => resolve({ status: res.statusCode!, body, cookie: res.headers['set-cookie']?.[0]?.split(';')[0] }))
          })
            .on('error', reject)
            .end()
        })
      const bare = await get('/')
      expect(bare.status).toBe(401)
      expect(bare.body).toContain('Open the address printed by')
      const opened = await get(`${queueUrl.pathname}${queueUrl.search}`)
      expect(opened.status).toBe(303)
      const api = (cookie?: string) =>
        new Promise<number>((resolve, reject) => {
          request({ host: '127.0.0.1', port, method: 'POST', path: '/api/invoke/engine:get-snapshot', headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/json', 'x-bayalert-bridge': '1', ...(cookie ? { cookie } : {}) } }, (res) => (res.resume(), resolve(res.statusCode!)))
            .on('error', reject)
            .end('{"args":[]}')
        })
      expect(await api()).toBe(401)
      expect(await api(opened.cookie)).toBe(200)
      // The pages, with the bridge in front of the page script.
      for (const page of ['/', '/wallboard']) {
        const r = await get(page, { cookie: opened.cookie! })
        expect(r.status, page).toBe(200)
        expect(r.body).toMatch(/<script type="module" src="\.\/bridge\.js"><\/script>\s*<script type="module" crossorigin src="\.\/assets\//)
      }
      // The upgrade that used to end the process: answered, and the run goes on.
      const answer = await new Promise<string>((resolve) => {
        const s = connect(port, '127.0.0.1')
        let got = ''
        s.on('data', (d) => (got += d))
        s.on('close', () => resolve(got.split('\r\n')[0]!))
        s.on('error', () => resolve(got.split('\r\n')[0]!))
        s.write(`GET // HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`)
      })
      expect(answer).toMatch(/^HTTP\/1\.1 4\d\d/)
      expect(await api(opened.cookie)).toBe(200)
      expect(first.proc.exitCode).toBeNull()

      // A second run on the same data directory: told who holds it, exit code 2 (configuration), nothing started.
      const second = headless(env)
      expect(await second.exit).toBe(2)
      const said = second.stderr.join('').split('\n').filter((l) => l.startsWith('bayalert:') && !/OS notifier/.test(l))
      expect(said).toEqual([expect.stringMatching(new RegExp(`^bayalert: BayAlert is already running headless with this data directory \\(pid ${first.proc.pid}, since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)\\. Stop it or use --data-dir\\.$`))])
      expect(second.lines).toEqual([{ ts: expect.any(String), type: 'error', message: said[0]!.slice('bayalert: '.length) }])
      expect(first.proc.exitCode).toBeNull() // the holder is untouched
    } finally {
      first.proc.kill('SIGTERM')
      expect(await first.exit).toBe(0)
      rmSync(env.BAYALERT_DATA_DIR, { recursive: true, force: true })
    }
  })

  it('--json shows an enrichment: a basic ring, then the queue line that carries the full text as `updates`', async () => {
    const workstation = `enrich-${Date.now()}`
    const env = { ...mechanicEnv(1, mkdtempSync(join(tmpdir(), 'bayalert-enrich-'))), BAYALERT_WORKSTATION_ID: workstation }
    // The trusted private broadcast carries full details, so a basic ring only happens on the postgres_changes
    // fallback (ids only): refuse the private channel by dropping its realtime.messages policy for this test.
    await dropShopPolicy(b)
    const c = headless(env, ['--json', '--no-ui'])
    try {
      await c.waitLine((l) => l.type === 'state' && l.state === 'degraded' && /^Receiving requests through postgres_changes/.test(String(l.reason)), 30_000, 'on the fallback')
      // A read of the queue finds the request with full details, and the postgres_changes path this test is
      // about never runs. The fallback's confirmed subscription starts one, and so does the first check-in (2 s
      // after sign-in; off live, every check-in reads the queue): wait for its heartbeat row, then let its read
      // finish (one that changes nothing prints no line, so a bounded wait it is). The next check-in is a
      // minute away, and the refused private channel is tried again by a probe 30 s on, with no rebuild (CI
      // once caught the old rebuild-per-backoff-step re-reading the queue just as the request was committed).
      const seen = async () => ((await b.sql.query('select 1 from public.workstation_health where workstation_id = $1', [workstation])).rowCount ?? 0) > 0
      for (let i = 0; i < 150 && !(await seen()); i++) await sleep(100)
      expect(await seen()).toBe(true)
      await sleep(1000)
      // postgres_changes (ids) brings it, and the details read fails twice: the ring is basic.
      b.faults.restErrors({ status: 503, count: 2, path: '/rpc/request_details' })
      const r = await createRequest(b, { name: 'Late Details Lee', concern: 'Rattle' })
      const rang = await c.waitLine((l) => l.type === 'alert' && l.requestId === r.id, 5000, 'the basic ring')
      expect(rang.detail).toBe('basic')
      const line = await c.waitLine((l) => l.type === 'queue' && Array.isArray(l.updates), 15_000, 'the enrichment')
      expect(line.updates).toEqual([{ requestId: r.id, kind: 'request', detail: 'full', title: 'New request: Late Details Lee', body: expect.stringContaining('Rattle') }])
      expect((line.items as { requestId: string; detail: string }[]).find((q) => q.requestId === r.id)?.detail).toBe('full')
      expect(c.lines.filter((l) => l.type === 'alert' && l.requestId === r.id)).toHaveLength(1) // not a second ring
    } finally {
      b.faults.clear({ quiet: true })
      c.proc.kill('SIGTERM')
      await c.exit
      await restoreShopPolicy(b)
      rmSync(env.BAYALERT_DATA_DIR, { recursive: true, force: true })
    }
  })

  it('--no-ui prints neither URL line', async () => {
    const env = mechanicEnv(1, mkdtempSync(join(tmpdir(), 'bayalert-noui-')))
    const c = headless(env, ['--json', '--no-ui'])
    try {
      await c.waitLine((l) => l.type === 'state' && l.state === 'live', 30_000, 'live')
      await sleep(1500) // the UI lines come right after sign-in, well within this
      expect(c.stderr.join('')).not.toMatch(/queue UI:|wallboard:/)
    } finally {
      c.proc.kill('SIGTERM')
      await c.exit
      rmSync(env.BAYALERT_DATA_DIR, { recursive: true, force: true })
    }
  })

  it.each([
    ['a bad URL', { SUPABASE_URL: 'ftp://nope' }, 2, /not an http\(s\) URL/],
    ['a service-role key', { SUPABASE_ANON_KEY: DEMO_SERVICE_ROLE_KEY }, 2, /service-role/],
    ['plain http to another machine', { SUPABASE_URL: 'http://192.0.2.10:54321' }, 2, /plain http:\/\/ to 192\.0\.2\.10, which is not this machine/],
    ['wrong credentials', { BAYALERT_PASSWORD: 'wrong' }, 3, /Invalid login credentials/],
    ['an unwritable data dir', { BAYALERT_DATA_DIR: '/etc/hostname/sub' }, 2, /not writable/],
  ])('%s: one clear message and a non-zero exit', async (_n, over, code, re) => {
    const env = { ...mechanicEnv(0, mkdtempSync(join(tmpdir(), 'bayalert-bad-'))), ...over }
    const c = headless(env)
    // stdout stays JSON even for failures: an error line with the same message.
    expect(await c.exit).toBe(code)
    const messages = c.stderr.join('').split('\n').filter((l) => l.startsWith('bayalert:') && !/OS notifier/.test(l))
    expect(messages).toHaveLength(1)
    expect(messages[0]).toMatch(re)
    expect(c.lines.filter((l) => l.type === 'error').map((l) => l.message)).toEqual([expect.stringMatching(re)])
    expect(c.stderr.join('') + JSON.stringify(c.lines)).not.toContain(DEMO_SERVICE_ROLE_KEY)
  })

  it('--json: a workstations line after the first check-in, naming this workstation by BAYALERT_WORKSTATION_ID', async () => {
    const env = { ...mechanicEnv(2, mkdtempSync(join(tmpdir(), 'bayalert-watch-'))), BAYALERT_WORKSTATION_ID: 'Bay 7' }
    const c = headless(env)
    try {
      // The first check-in runs 2 s after sign-in.
      const line = await c.waitLine((l) => l.type === 'workstations', 30_000, 'a workstations line')
      const list = line.list as { name: string; live: boolean; mechanic: string | null }[]
      expect(list).toContainEqual(expect.objectContaining({ name: 'Bay 7', live: true, mechanic: b.demoUsers[2]!.name }))
      expect(line.live).toBe(list.filter((e) => e.live).length)
      expect(line.total).toBe(list.length)
    } finally {
      c.proc.kill('SIGTERM')
      await c.exit
      rmSync(env.BAYALERT_DATA_DIR, { recursive: true, force: true })
    }
  })

  it('--json: muted sound found by the self-test is said once as a health alert, beside its alert-path line', async () => {
    // The OS mocked at the command level: PATH holds only a pactl that answers "muted"; every other check's
    // program is missing, which is "could not tell", never a finding.
    const bin = mkdtempSync(join(tmpdir(), 'bayalert-bin-'))
    writeFileSync(join(bin, 'pactl'), '#!/bin/sh\necho "Mute: yes"\n', { mode: 0o755 })
    const env = { ...mechanicEnv(1, mkdtempSync(join(tmpdir(), 'bayalert-ap-'))), PATH: bin }
    const c = headless(env)
    try {
      const verdict = await c.waitLine((l) => l.type === 'alert-path', 30_000, 'the alert-path line')
      expect(verdict).toMatchObject({ ok: false, trigger: 'start', findings: [expect.objectContaining({ id: 'audio-muted', affects: 'sound' })] })
      const said = await c.waitLine((l) => l.type === 'alert' && l.key === 'bayalert:alert-path', 10_000, 'the alert-path health alert')
      expect(said).toMatchObject({ kind: 'health', requestId: null, title: 'BayAlert: alert sounds may not reach you' })
      expect(said.body).toBe('The sound output is muted (or at zero volume): alert sounds are silent. Still working: pop-up notifications, the queue window.')
      await sleep(1000)
      expect(c.lines.filter((l) => l.type === 'alert' && l.key === 'bayalert:alert-path')).toHaveLength(1)
    } finally {
      c.proc.kill('SIGTERM')
      await c.exit
      rmSync(env.BAYALERT_DATA_DIR, { recursive: true, force: true })
      rmSync(bin, { recursive: true, force: true })
    }
  })
})
