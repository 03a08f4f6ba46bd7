// Headless (and doctor) settings: plain http:// only to this machine's loopback interface, https:// anywhere.
// The tray app keeps the same rule (src/shared/ipc.ts supabaseUrlProblem).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isLoopbackHost, LOCAL_DEFAULTS, validateSettings } from '../../../src/core/config.js'

const good = { ...LOCAL_DEFAULTS, dataDir: mkdtempSync(join(tmpdir(), 'bayalert-url-')) }
const urlProblems = (supabaseUrl: string) => {
  const r = validateSettings({ ...good, supabaseUrl })
  return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`)
}

describe('SUPABASE_URL transport rule (headless)', () => {
  it.each([
    'http://127.0.0.1:54321',
    'http://127.0.0.2:54321', // all of 127.0.0.0/8 is loopback
    'http://127.255.255.254',
    'http://127.1:54321', // WHATWG URL normalises the short form to 127.0.0.1
    'http://localhost:54321',
    'http://LOCALHOST:54321',
    'http://[::1]:54321',
    'https://xyz.supabase.co',
    'https://10.0.0.5:8443', // https anywhere, LAN included
  ])('accepts %s', (u) => {
    expect(urlProblems(u)).toEqual([])
  })

  it.each([
    ['a hosted project', 'http://xyz.supabase.co', 'xyz.supabase.co'],
    ['a LAN address', 'http://192.168.1.20:54321', '192.168.1.20'],
    ['all interfaces', 'http://0.0.0.0:54321', '0.0.0.0'],
    ['a name that only starts like loopback', 'http://127.0.0.1.nip.io', '127.0.0.1.nip.io'],
    ['a name that only ends like localhost', 'http://evil-localhost', 'evil-localhost'],
    ['an IPv4-mapped IPv6 address', 'http://[::ffff:127.0.0.1]', '[::ffff:7f00:1]'],
  ])('refuses plain http to %s with one clear message', (_n, u, host) => {
    const problems = urlProblems(u)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toBe(
      `supabaseUrl: SUPABASE_URL uses plain http:// to ${host}, which is not this machine. Use https:// (http:// is allowed only for a local backend on 127.0.0.1, ::1 or localhost).`,
    )
  })

  it('isLoopbackHost: the boundaries of 127.0.0.0/8 and the exact names', () => {
    expect(isLoopbackHost('127.0.0.0')).toBe(true)
    expect(isLoopbackHost('127.255.255.255')).toBe(true)
    expect(isLoopbackHost('126.255.255.255')).toBe(false)
    expect(isLoopbackHost('128.0.0.1')).toBe(false)
    expect(isLoopbackHost('127.0.0.256')).toBe(false)
    expect(isLoopbackHost('127.0.0')).toBe(false)
    expect(isLoopbackHost('127.0.0.1.2')).toBe(false)
    expect(isLoopbackHost('127.0.0.x')).toBe(false)
    expect(isLoopbackHost('localhost')).toBe(true)
    expect(isLoopbackHost('localhost.example')).toBe(false)
    expect(isLoopbackHost('[::1]')).toBe(true)
    expect(isLoopbackHost('[::2]')).toBe(false)
    expect(isLoopbackHost('')).toBe(false)
  })
})
