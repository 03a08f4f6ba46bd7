/** @vitest-environment node */
// The loopback UI server's HTTP/WebSocket surface, without a browser: the per-run secret (cookie exchange,
// every route and the websocket locked without it, the read-only wallboard scope), origin/host checks, body
// caps, argument validation shared with the IPC handlers, static serving, snapshot pushes, and malformed
// requests and upgrades that must never end the process.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { injectBridge, LOCKED_PAGE, startUiServer, type UiServer } from '../../src/cli/ui-server.js'
import { UiPushSink } from '../../src/cli/ui-sink.js'
import { QUEUE_CHANNELS } from '../../src/shared/ipc.js'
import { FakeEngine, makeItem } from '../mocks/fake-engine.js'

const dir = mkdtempSync(join(tmpdir(), 'bayalert-ui-'))
mkdirSync(join(dir, 'assets'))
writeFileSync(join(dir, 'index.html'), '<html><head><script type="module" src="./assets/index.js"></script></head><body></body></html>')
writeFileSync(join(dir, 'assets', 'index.js'), 'console.log(1)')
writeFileSync(join(dir, 'wallboard.html'), '<html><head><script type="module" src="./assets/wallboard.js"></script></head><body>wall</body></html>')
writeFileSync(join(dir, 'bridge.js'), '/* bridge */')
writeFileSync(join(tmpdir(), 'bayalert-ui-outside.js'), 'secret')

// Values that must never reach a client without the secret.
const CUSTOMER = 'Dana Ortiz'
const USER = 'mechanic1@demo.bayalert.test'

let engine: FakeEngine
/** The sink the headless host registers with the pipeline; alerts reach the page through it. */
const alerts = new UiPushSink()
let server: UiServer
let port: number
let queueKey: string
let wallKey: string
/** The Cookie header a browser sends after opening the printed queue UI URL. */
let cookie: string
let wallCookie: string
beforeAll(async () => {
  engine = new FakeEngine({ queue: [makeItem({ requestId: 'r-1' })] })
  server = await startUiServer({ engine, alerts, host: '127.0.0.1', port: 0, rendererDir: dir })
  port = Number(new URL(server.url).port)
  queueKey = new URL(server.url).searchParams.get('k')!
  wallKey = new URL(server.wallboardUrl).searchParams.get('k')!
  cookie = cookieOf((await http('GET', `/?k=${queueKey}`, { cookie: '' })).headers)
  wallCookie = cookieOf((await http('GET', `/wallboard?k=${wallKey}`, { cookie: '' })).headers)
})
function cookieOf(headers: Res['headers']): string {
  const set = headers['set-cookie']
  if (!set || set.length !== 1) throw new Error(`expected one Set-Cookie, got ${JSON.stringify(set)}`)
  return set[0]!.split(';')[0]!
}
afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Res {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}
/** A request as the unlocked queue UI sends it (its cookie), unless `headers` says otherwise. */
function http(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const all: Record<string, string> = { host: `127.0.0.1:${port}`, cookie, ...headers }
    if (all.cookie === '') delete all.cookie
    const req = request({ host: '127.0.0.1', port, method, path, headers: all, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}
const cmd = (channel: string, args: unknown, headers: Record<string, string> = {}) =>
  http('POST', `/api/invoke/${channel}`, { 'content-type': 'application/json', 'x-bayalert-bridge': '1', origin: `http://127.0.0.1:${port}`, ...headers }, JSON.stringify({ args }))

/** Sends raw bytes and returns the first line of the answer ('' when the server just closed). */
function raw(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1')
    let got = ''
    const t = setTimeout(() => (s.destroy(), resolve(got.split('\r\n')[0]!)), 3000)
    s.on('data', (d) => {
      got += d.toString('latin1')
      if (!got.includes('\r\n')) return
      clearTimeout(t)
      s.destroy()
      resolve(got.split('\r\n')[0]!)
    })
    s.on('close', () => (clearTimeout(t), resolve(got.split('\r\n')[0]!)))
    s.on('error', (e) => (clearTimeout(t), (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(got.split('\r\n')[0]!) : reject(e)))
    s.write(bytes)
  })
}
const upgradeHeaders = (extra = '') =>
  `Host: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n${extra}`
const KEY_HEADER = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'

/** Opens the events websocket; resolves with the first message, or rejects with the refusal's status. */
function openEvents(headers: Record<string, string>): Promise<{ ws: WebSocket; first: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/events`, { origin: `http://127.0.0.1:${port}`, headers })
    ws.once('message', (m) => resolve({ ws, first: JSON.parse(String(m)) }))
    ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

describe('ui-server', () => {
  it('binds 127.0.0.1 only and prints URLs that carry a fresh ≥128-bit secret per run and per view', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?k=[A-Za-z0-9_-]{43}$/) // 32 random bytes, base64url
    expect(server.wallboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/wallboard\?k=[A-Za-z0-9_-]{43}$/)
    expect(server.origin).toBe(`http://127.0.0.1:${port}`)
    expect(queueKey).not.toBe(wallKey)
    const other = await startUiServer({ engine, host: '127.0.0.1', port: 0, rendererDir: dir })
    try {
      expect(new URL(other.url).searchParams.get('k')).not.toBe(queueKey)
      // This run's secret does not open another run's server.
      const r = await new Promise<number>((resolve, reject) => {
        const p = Number(new URL(other.url).port)
        request({ host: '127.0.0.1', port: p, path: '/api/invoke/engine:get-snapshot', method: 'POST', headers: { host: `127.0.0.1:${p}`, authorization: `Bearer ${queueKey}`, 'x-bayalert-bridge': '1', 'content-type': 'application/json' } }, (res) => (res.resume(), resolve(res.statusCode!)))
          .on('error', reject)
          .end('{"args":[]}')
      })
      expect(r).toBe(401)
    } finally {
      await other.close()
    }
    await expect(startUiServer({ engine, host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/127\.0\.0\.1 only/)
  })

  it('trades the printed key for an HttpOnly SameSite=Strict cookie on Path=/ and strips it from the address', async () => {
    const r = await http('GET', `/?k=${queueKey}`, { cookie: '' })
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/')
    const set = (r.headers['set-cookie'] as string[])[0]!
    const [pair, ...attrs] = set.split(';').map((a) => a.trim())
    expect(pair).toBe(`bayalert-${port}-queue=${queueKey}`) // the port in the name: runs on other ports keep theirs
    expect(attrs.sort()).toEqual(['HttpOnly', 'Path=/', 'SameSite=Strict'])
    expect(r.body).not.toContain(queueKey)

    const w = await http('GET', `/wallboard?k=${wallKey}`, { cookie: '' })
    expect(w.status).toBe(303)
    expect(w.headers.location).toBe('/wallboard')
    expect((w.headers['set-cookie'] as string[])[0]).toBe(`bayalert-${port}-wallboard=${wallKey}; HttpOnly; SameSite=Strict; Path=/`)
    // The wallboard key at the root still lands on the wallboard; the redirect never goes anywhere else.
    expect((await http('GET', `/?k=${wallKey}`, { cookie: '' })).headers.location).toBe('/wallboard')
    expect((await http('GET', `//evil.example/?k=${queueKey}`, { cookie: '' })).headers.location).toBe('/')
  })

  it('without the secret: every API route and page is refused and nothing of the queue or state leaks', async () => {
    const before = engine.calls.length
    const noSecret: Record<string, string>[] = [
      { cookie: '' },
      { cookie: `bayalert-${port}-queue=${queueKey[0] === 'A' ? 'B' : 'A'}${queueKey.slice(1)}` }, // one character off
      { cookie: `bayalert-${port}-queue=${wallKey}` }, // the wallboard secret under the queue name
      { cookie: `bayalert-${port + 1}-queue=${queueKey}` }, // another port's cookie name
      { cookie: `bayalert-${port}-queue=${'x'.repeat(4000)}` },
      { cookie: '', authorization: `Bearer ${queueKey}x` },
      { cookie: '', authorization: queueKey }, // not a bearer header
    ]
    const leaks = (body: string) => [CUSTOMER, 'r-1', USER, 'live', 'Connected', queueKey, wallKey].filter((s) => body.includes(s))
    for (const h of noSecret) {
      for (const channel of [...QUEUE_CHANNELS, 'settings:save', 'nope']) {
        const args = channel === 'queue:acknowledge' || channel === 'queue:accept' ? ['r-1'] : channel === 'alerts:pause' ? [{ indefinite: true }] : []
        const r = await cmd(channel, args, h)
        expect(r.status, `${channel} ${JSON.stringify(h).slice(0, 80)}`).toBe(401)
        expect(leaks(r.body)).toEqual([])
      }
      for (const path of ['/', '/index.html', '/wallboard', '/bridge.js', '/assets/index.js', '/api/events', '/api/nope']) {
        const r = await http('GET', path, h)
        expect(r.status, path).toBe(401)
        expect(leaks(r.body)).toEqual([])
      }
      await expect(openEvents(h)).rejects.toThrow(/HTTP 401/)
    }
    // A wrong key in the URL: the same page, and no cookie.
    const wrong = await http('GET', `/?k=${queueKey}x`, { cookie: '' })
    expect(wrong.status).toBe(401)
    expect(wrong.headers['set-cookie']).toBeUndefined()
    expect(wrong.body).toBe(LOCKED_PAGE)
    expect(engine.calls.length).toBe(before)
  })

  it('the bare origin says where to find the address, in a page that runs nothing', async () => {
    const r = await http('GET', '/', { cookie: '' })
    expect(r.status).toBe(401)
    expect(r.headers['content-type']).toContain('text/html')
    expect(r.body.replace(/<[^>]+>/g, '')).toContain('Open the address printed by npm run headless (the line queue UI: …).')
    expect(r.body).not.toMatch(/<script|<link|<img|style=/i)
    expect(r.headers['content-security-policy']).toContain("default-src 'none'")
  })

  it('with the secret: pages, assets, commands and the websocket work (cookie or bearer header)', async () => {
    expect((await http('GET', '/')).status).toBe(200)
    expect((await http('GET', '/bridge.js')).status).toBe(200)
    const viaBearer = await cmd('engine:get-snapshot', [], { cookie: '', authorization: `Bearer ${queueKey}` })
    expect(JSON.parse(viaBearer.body).result.queue[0].details.customerName).toBe(CUSTOMER)
    // Other cookies beside ours (another run's, another site's) do not get in the way.
    const crowded = await cmd('engine:get-snapshot', [], { cookie: `a=b; bayalert-${port + 1}-queue=zzz; ${cookie}; c` })
    expect(crowded.status).toBe(200)
    const { ws, first } = await openEvents({ cookie })
    expect(first).toMatchObject({ type: 'snapshot', snapshot: { queue: [{ requestId: 'r-1' }] } })
    ws.close()
    const bearer = await openEvents({ authorization: `Bearer ${queueKey}` })
    bearer.ws.close()
  })

  it('the wallboard secret reads the queue and its pushes but cannot run a single command', async () => {
    const before = engine.calls.length
    const snap = await cmd('engine:get-snapshot', [], { cookie: wallCookie })
    expect(snap.status).toBe(200)
    expect(JSON.parse(snap.body).result.queue[0].requestId).toBe('r-1')
    for (const [channel, args] of [
      ['queue:acknowledge', ['r-1']],
      ['queue:accept', ['r-1']],
      ['alerts:pause', [{ indefinite: true }]],
      ['alerts:resume', []],
      ['link:reconnect', []],
      ['history:get', []], // the mechanic's record (names, who took what) is not the shop screen's
    ] as const) {
      for (const h of [{ cookie: wallCookie }, { cookie: "", authorization: `Bearer ${wallKey}` }] as Record<string, string>[]) {
        const r = await cmd(channel, args, h)
        expect(r.status, channel).toBe(403)
        expect(JSON.parse(r.body)).toEqual({ error: 'the wallboard is read-only' })
      }
    }
    expect(engine.calls.length).toBe(before)
    const page = await http('GET', '/wallboard', { cookie: wallCookie })
    expect(page.status).toBe(200)
    expect(page.body.indexOf('./bridge.js')).toBeLessThan(page.body.indexOf('./assets/wallboard.js'))
    expect(page.headers['content-security-policy']).toBe((await http('GET', '/')).headers['content-security-policy'])
    expect((await http('GET', '/', { cookie: wallCookie })).headers.location).toBe('/wallboard') // no buttons for it
    const { ws, first } = await openEvents({ cookie: wallCookie })
    expect(first.type).toBe('snapshot')
    ws.close()
    // Holding both cookies (queue window and wallboard in one browser) keeps the queue window's rights.
    expect((await cmd('link:reconnect', [], { cookie: `${wallCookie}; ${cookie}` })).status).toBe(200)
  })

  it('malformed requests and upgrades get an error response and the server stays up', async () => {
    const withCookie = `Cookie: ${cookie}\r\n`
    const cases: [string, string, RegExp][] = [
      ['upgrade to //', `GET // HTTP/1.1\r\n${upgradeHeaders(KEY_HEADER + withCookie)}\r\n`, /^HTTP\/1\.1 404/],
      ['upgrade to // without the secret', `GET // HTTP/1.1\r\n${upgradeHeaders(KEY_HEADER)}\r\n`, /^HTTP\/1\.1 404/],
      ['upgrade to //x/../api/events', `GET //x/../api/events HTTP/1.1\r\n${upgradeHeaders(KEY_HEADER + withCookie)}\r\n`, /^HTTP\/1\.1 40[04]/],
      ['upgrade to an absolute URL', `GET http://evil.example/api/events HTTP/1.1\r\n${upgradeHeaders(KEY_HEADER + withCookie)}\r\n`, /^HTTP\/1\.1 400/],
      ['upgrade with %00', `GET /api/events%00 HTTP/1.1\r\n${upgradeHeaders(KEY_HEADER + withCookie)}\r\n`, /^HTTP\/1\.1 404/],
      ['upgrade with a bad escape', `GET /api/%E0%A4%A HTTP/1.1\r\n${upgradeHeaders(KEY_HEADER + withCookie)}\r\n`, /^HTTP\/1\.1 404/],
      ['POST upgrade', `POST /api/events HTTP/1.1\r\n${upgradeHeaders(KEY_HEADER + withCookie)}Content-Length: 0\r\n\r\n`, /^HTTP\/1\.1 405/],
      ['upgrade without Sec-WebSocket-Key', `GET /api/events HTTP/1.1\r\n${upgradeHeaders(withCookie)}\r\n`, /^HTTP\/1\.1 400/],
      ['upgrade with a bad websocket version', `GET /api/events HTTP/1.1\r\n${upgradeHeaders(KEY_HEADER + withCookie).replace('Version: 13', 'Version: 99')}\r\n`, /^HTTP\/1\.1 400/],
      ['upgrade with a 64 KiB header', `GET /api/events HTTP/1.1\r\n${upgradeHeaders(KEY_HEADER + withCookie)}X-Big: ${'a'.repeat(65_536)}\r\n\r\n`, /^HTTP\/1\.1 431/],
      ['request with a 64 KiB header', `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${withCookie}X-Big: ${'a'.repeat(65_536)}\r\n\r\n`, /^HTTP\/1\.1 431/],
      ['request line that is not HTTP', `\x00\x01\x02 garbage\r\n\r\n`, /^HTTP\/1\.1 400/],
      ['GET //', `GET // HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${withCookie}\r\n`, /^HTTP\/1\.1 404/],
      ['GET with a bad escape', `GET /%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${withCookie}\r\n`, /^HTTP\/1\.1 400/],
      ['GET with %00', `GET /index.html%00 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${withCookie}\r\n`, /^HTTP\/1\.1 404/],
      ['GET *', `OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${withCookie}\r\n`, /^HTTP\/1\.1 400/],
      ['a key with a bad escape', `GET /?k=%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, /^HTTP\/1\.1 401/],
    ]
    for (const [name, bytes, expected] of cases) {
      const first = await raw(bytes)
      // An oversized request: the server answers 431 and closes while the client is still sending, and the
      // client's kernel may then drop the answer on the RST (TCP, not the server); a close is acceptable there.
      if (!(/64 KiB/.test(name) && first === '')) expect(first, name).toMatch(expected)
      // Still serving after each one.
      expect((await http('GET', '/')).status, `after ${name}`).toBe(200)
    }
  })

  it('serves index.html with the bridge injected before the page script, and a strict CSP', async () => {
    const r = await http('GET', '/')
    expect(r.status).toBe(200)
    expect(r.body.indexOf('./bridge.js')).toBeLessThan(r.body.indexOf('./assets/index.js'))
    expect(r.headers['content-security-policy']).toContain(`connect-src 'self' ws://127.0.0.1:${port}`)
    expect(r.headers['x-frame-options']).toBe('DENY')
    expect((await http('GET', '/assets/index.js')).headers['content-type']).toContain('javascript')
    expect(injectBridge('<head></head>')).toContain('bridge.js')
  })

  it('refuses path escapes and unknown types', async () => {
    for (const p of ['/../bayalert-ui-outside.js', '/%2e%2e/bayalert-ui-outside.js', '/..%2fbayalert-ui-outside.js', '/assets/..%2f..%2fbayalert-ui-outside.js', '/a%00.js', '/%5c..%5cx.js']) {
      const r = await http('GET', p)
      expect(r.status, p).not.toBe(200)
      expect(r.body).not.toContain('secret')
    }
  })

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin', async () => {
    expect((await http('GET', '/', { host: `evil.example:${port}` })).status).toBe(403)
    expect((await http('GET', '/', { host: 'evil.example' })).status).toBe(403)
    expect((await cmd('alerts:resume', [], { origin: 'http://evil.example' })).status).toBe(403)
    expect((await cmd('alerts:resume', [], { origin: `http://127.0.0.1:${port + 1}` })).status).toBe(403)
    expect(engine.calls.some((c) => c.cmd === 'resume')).toBe(false)
  })

  it('requires the bridge header and a JSON content type (no HTML form can send a command)', async () => {
    expect((await cmd('alerts:resume', [], { 'x-bayalert-bridge': '' })).status).toBe(403)
    expect((await cmd('alerts:resume', [], { 'content-type': 'text/plain' })).status).toBe(415)
    expect((await http('GET', '/api/invoke/alerts:resume')).status).toBe(405)
  })

  it('runs valid commands on the engine', async () => {
    expect(JSON.parse((await cmd('queue:acknowledge', ['r-1'])).body)).toEqual({ result: null })
    expect(JSON.parse((await cmd('queue:accept', ['r-1'])).body)).toEqual({ result: { ok: true } })
    await cmd('alerts:pause', [{ indefinite: true }])
    const snap = JSON.parse((await cmd('engine:get-snapshot', [])).body)
    expect(snap.result.queue[0].requestId).toBe('r-1')
    expect(engine.calls).toEqual(expect.arrayContaining([{ cmd: 'acknowledge', requestId: 'r-1' }, { cmd: 'accept', requestId: 'r-1' }, { cmd: 'pause', request: { indefinite: true } }]))
  })

  it('validates arguments with the IPC validators and caps bodies', async () => {
    const before = engine.calls.length
    for (const [ch, args] of [
      ['queue:acknowledge', ['<img src=x>']],
      ['queue:acknowledge', ['x'.repeat(200)]],
      ['alerts:pause', [{ minutes: 5 }]],
      ['alerts:pause', [{ minutes: 15, extra: true }]],
      ['alerts:resume', [1]],
      ['queue:accept', 'r-1'],
    ] as const) {
      expect((await cmd(ch, args)).status, `${ch} ${JSON.stringify(args)}`).toBe(400)
    }
    const refused = await cmd('alerts:pause', [{ minutes: 5 }])
    expect(refused.body).toContain('invalid arguments for alerts:pause: args[0]: matches none of the allowed forms')
    expect((await cmd('settings:save', [{}])).status).toBe(404) // Electron-only channel does not exist here
    expect((await cmd('session:sign-in', ['a@b.co', 'pw'])).status).toBe(404)
    expect((await cmd('queue:acknowledge', ['x'.repeat(20_000)])).status).toBe(413)
    const notJson = await http('POST', '/api/invoke/alerts:resume', { 'content-type': 'application/json', 'x-bayalert-bridge': '1' }, '{')
    expect(notJson.status).toBe(400)
    expect(engine.calls.length).toBe(before)
  })

  it('pushes the current snapshot on connect, every engine snapshot after, and what its alert sink is handed; refuses foreign WS origins', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/events`, { origin: `http://127.0.0.1:${port}`, headers: { cookie } })
    const messages: any[] = []
    ws.on('message', (m) => messages.push(JSON.parse(String(m))))
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)))
    await expect.poll(() => messages.length, { timeout: 3000 }).toBe(1)
    engine.push({ link: { state: 'offline', reason: 'Network down', since: 1 } })
    alerts.alert({ kind: 'request', requestId: 'r-1', title: 'T', body: 'B', detail: 'full', items: [], latencyMs: null })
    await expect.poll(() => messages.length, { timeout: 3000 }).toBe(3)
    expect(messages[1]).toMatchObject({ type: 'snapshot', snapshot: { link: { state: 'offline' } } })
    expect(messages[2]).toMatchObject({ type: 'alert', alert: { title: 'T', requestId: 'r-1' } })
    ws.close()

    const evil = new WebSocket(`ws://127.0.0.1:${port}/api/events`, { origin: 'http://evil.example', headers: { cookie } })
    const err = await new Promise<string>((r) => evil.once('unexpected-response', (_q, res) => r(String(res.statusCode))).once('error', (e) => r(e.message)))
    expect(err).toMatch(/403/)
  })
})
