// The link supervisor refuses every key a workstation must not use — a service-role JWT, an sb_secret_
// key, a JWT of any role but anon, a malformed key — with one clear signed-out reason, and never
// touches the network with it: no sign-in, no session refresh, no socket. A counting TCP server on
// loopback stands in for the project; the control case (a real anon key) shows that it does count.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { keyProblem, LOCAL_DEFAULTS } from '../../../src/core/config.js'
import { createEngine } from '../../../src/core/engine.js'
import { LinkSupervisor, SignInError } from '../../../src/core/link/supervisor.js'
import { MemorySecretStore } from '../../../src/core/memory-secret-store.js'
import { systemClock } from '../../../src/core/ports.js'
import { captureLog } from '../core/helpers.js'

function jwt(claims: Record<string, unknown>): string {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${b({ alg: 'HS256', typ: 'JWT' })}.${b(claims)}.c2lnbmF0dXJl`
}

let server: Server
let url: string
let connections = 0
const sockets = new Set<Socket>()
beforeAll(async () => {
  server = createServer((s) => {
    connections++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.destroy() // refuse to talk: a connection attempt is all this test needs to see
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
})
afterAll(async () => {
  for (const s of sockets) s.destroy()
  await new Promise<void>((r) => server.close(() => r()))
})
beforeEach(() => {
  connections = 0
})

/** A saved session whose access token has expired: reading it would make auth-js refresh at once. */
async function secretsWithExpiredSession(): Promise<MemorySecretStore> {
  const secrets = new MemorySecretStore()
  const session = { access_token: jwt({ role: 'authenticated', sub: 'u1', exp: 1 }), refresh_token: 'rt-1', token_type: 'bearer', expires_in: 3600, expires_at: 1, user: { id: 'u1', email: 'm@shop.test' } }
  await secrets.setItem(`bayalert-auth:${new URL(url).host}`, JSON.stringify(session))
  return secrets
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('LinkSupervisor key refusal', () => {
  it.each([
    ['a service_role JWT', jwt({ role: 'service_role', iss: 'supabase' })],
    ['a supabase_admin JWT', jwt({ role: 'supabase_admin' })],
    ['an sb_secret_ key', 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz'],
    ['an authenticated-role JWT', jwt({ role: 'authenticated', sub: 'u1' })],
    ['a JWT without a role', jwt({ iss: 'supabase' })],
    ['a malformed key', 'definitely-not-a-key'],
    ['a 3-part non-JSON token', 'abc.def.ghi'],
    ['an empty key', ''],
  ])('refuses %s: signed-out with one clear reason, no network, the key never logged', async (_n, key) => {
    const log = captureLog()
    const link = new LinkSupervisor({ supabaseUrl: url, anonKey: key }, { secrets: await secretsWithExpiredSession(), log, clock: systemClock })
    const states: string[] = []
    link.on('state', (s) => states.push(`${s.state}: ${s.reason}`))
    const expected = keyProblem(key, 'The configured anon key')!
    expect(expected).toEqual(expect.any(String))
    await link.start()
    expect(link.state).toMatchObject({ state: 'signed-out', reason: expected })
    const err = await link.signIn('m@shop.test', 'pw').then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(SignInError)
    expect(err).toMatchObject({ kind: 'key', message: expected })
    link.reconnectNow()
    link.notifyResume()
    link.notifyNetworkChange(true)
    await settle(300)
    expect(connections).toBe(0)
    expect(link.state).toMatchObject({ state: 'signed-out', reason: expected })
    expect(new Set(states)).toEqual(new Set([`signed-out: ${expected}`]))
    await link.stop()
    const logged = JSON.stringify(log.lines)
    if (key.length > 16) expect(logged).not.toContain(key)
    expect(log.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['link: refusing the configured key; not connecting'])
  })

  it('control: with a real anon key (whitespace around it ignored) the same setup does reach the network', async () => {
    const log = captureLog()
    // (No saved session here: auth-js would retry its refresh against this mute server for ~30 s.)
    const link = new LinkSupervisor({ supabaseUrl: url, anonKey: ` ${LOCAL_DEFAULTS.anonKey}\n` }, { secrets: new MemorySecretStore(), log, clock: systemClock })
    expect(link.keyRefusal).toBeNull()
    await link.start()
    // auth-js console.error()s the network failure; the supervisor hands it a one-line error (no stack).
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    try {
      const err = await link.signIn('m@shop.test', 'pw').then(() => null, (e: unknown) => e)
      expect(err).toMatchObject({ kind: 'network' })
      await settle(100)
      expect(connections).toBeGreaterThan(0)
      expect(consoleError).toHaveBeenCalled()
      for (const [logged] of consoleError.mock.calls) {
        expect(logged).toBeInstanceOf(TypeError)
        expect((logged as Error).stack).toMatch(/^TypeError: fetch failed( \([^)]+\))?$/)
      }
    } finally {
      consoleError.mockRestore()
      await link.stop()
    }
  })

  it('through the engine every host builds (tray app, headless, doctor): the snapshot says why, nothing is sent', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bayalert-keys-'))
    const key = jwt({ role: 'service_role' })
    const engine = createEngine(
      { supabaseUrl: url, anonKey: key, dataDir, workstationId: 'ws-keys', appVersion: 'test' },
      { secrets: await secretsWithExpiredSession(), sinks: [], log: captureLog() },
    )
    try {
      await engine.start()
      expect(engine.snapshot().link).toMatchObject({ state: 'signed-out', reason: keyProblem(key, 'The configured anon key') })
      await expect(engine.signIn('m@shop.test', 'pw')).rejects.toMatchObject({ kind: 'key' })
      await engine.reconnectNow()
      await settle(200)
      expect(connections).toBe(0)
    } finally {
      await engine.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
