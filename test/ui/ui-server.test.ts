/** @vitest-environment node */
// The loopback UI server's HTTP/WebSocket surface, without a browser: origin/host checks, body caps,
// argument validation shared with the IPC handlers, static serving and snapshot pushes.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { injectBridge, startUiServer, type UiServer } from '../../src/cli/ui-server.js'
import { FakeEngine, makeItem } from '../mocks/fake-engine.js'

const dir = mkdtempSync(join(tmpdir(), 'bayalert-ui-'))
mkdirSync(join(dir, 'assets'))
writeFileSync(join(dir, 'index.html'), '<html><head><script type="module" src="./assets/index.js"></script></head><body></body></html>')
writeFileSync(join(dir, 'assets', 'index.js'), 'console.log(1)')
writeFileSync(join(dir, 'bridge.js'), '/* bridge */')
writeFileSync(join(tmpdir(), 'bayalert-ui-outside.js'), 'secret')

let engine: FakeEngine
let server: UiServer
let port: number
beforeAll(async () => {
  engine = new FakeEngine({ queue: [makeItem({ requestId: 'r-1' })] })
  server = await startUiServer({ engine, host: '127.0.0.1', port: 0, rendererDir: dir })
  port = Number(new URL(server.url).port)
})
afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Res {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}
function http(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers }, timeout: 5000 }, (res) => {
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

describe('ui-server', () => {
  it('binds 127.0.0.1 only', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    await expect(startUiServer({ engine, host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/127\.0\.0\.1 only/)
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
    expect((await cmd('settings:save', [{}])).status).toBe(404) // Electron-only channel does not exist here
    expect((await cmd('session:sign-in', ['a@b.co', 'pw'])).status).toBe(404)
    expect((await cmd('queue:acknowledge', ['x'.repeat(20_000)])).status).toBe(413)
    const notJson = await http('POST', '/api/invoke/alerts:resume', { 'content-type': 'application/json', 'x-bayalert-bridge': '1' }, '{')
    expect(notJson.status).toBe(400)
    expect(engine.calls.length).toBe(before)
  })

  it('pushes the current snapshot on connect and every engine snapshot after; refuses foreign WS origins', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/events`, { origin: `http://127.0.0.1:${port}` })
    const messages: any[] = []
    ws.on('message', (m) => messages.push(JSON.parse(String(m))))
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)))
    await expect.poll(() => messages.length, { timeout: 3000 }).toBe(1)
    engine.push({ link: { state: 'offline', reason: 'Network down', since: 1 } })
    engine.emit('alert', { kind: 'request', requestId: 'r-1', title: 'T', body: 'B', detail: 'full', items: [], latencyMs: null })
    await expect.poll(() => messages.length, { timeout: 3000 }).toBe(3)
    expect(messages[1]).toMatchObject({ type: 'snapshot', snapshot: { link: { state: 'offline' } } })
    expect(messages[2]).toMatchObject({ type: 'alert', alert: { title: 'T', requestId: 'r-1' } })
    ws.close()

    const evil = new WebSocket(`ws://127.0.0.1:${port}/api/events`, { origin: 'http://evil.example' })
    const err = await new Promise<string>((r) => evil.once('unexpected-response', (_q, res) => r(String(res.statusCode))).once('error', (e) => r(e.message)))
    expect(err).toMatch(/403/)
  })
})
