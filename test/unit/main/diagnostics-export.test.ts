/** @vitest-environment node */
// "Export diagnostics" from the queue window (IPC diagnostics:export): a save dialog, then one JSON file
// with the host's checks, versions, state and recent log lines — no key, no customer name, vehicle or
// concern of the queue, even where a log line quotes one. Cancel and write failures answer { ok: false }.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import * as electron from '../../mocks/electron.js'
import { makeItem, makeSnapshot } from '../../mocks/fake-engine.js'
import type { HostFacts } from '../../../src/main/diagnostics-export.js'

vi.mock('electron', () => import('../../mocks/electron.js'))
const { exportDiagnostics, hostChecks, registerDiagnosticsExport, saveDialog } = await import('../../../src/main/diagnostics-export.js')

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bayalert-export-main-'))
  dirs.push(d)
  return d
}
function capture() {
  const lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = []
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields })
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

const ANON = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('{"role":"anon"}').toString('base64url')}.c2ln`
const NAME = 'Zoë "<b>" Ångström'
const VEHICLE = '1989 Wartburg 353'
const CONCERN = 'Pedal judder; DROP TABLE intakes'

function facts(over: Partial<HostFacts> = {}): HostFacts {
  return {
    snapshot: makeSnapshot({ queue: [makeItem({ requestId: 'r-1', details: { customerName: NAME, vehicle: VEHICLE, concern: CONCERN, sessionType: 'video' } })] }),
    settings: { settings: { supabaseUrl: 'https://xyz.supabase.co', anonKey: ANON, email: 'mechanic1@shop.test', soundEnabled: true }, problems: [], fields: {}, configured: true, provisioning: { source: null, fields: [] } },
    secretStorage: { protected: true, backend: 'gnome_libsecret', message: null },
    logStats: { path: '/logs/bayalert.log', failures: 0, droppedLines: 0, lastFailure: null },
    notificationsSupported: true,
    ...over,
  }
}

function logDirQuoting(): string {
  const dir = join(tempDir(), 'logs')
  mkdirSync(dir)
  writeFileSync(
    join(dir, 'bayalert.log'),
    [
      JSON.stringify({ level: 'info', time: '2026-11-30T10:00:00.000Z', scope: 'engine', msg: `rang for ${NAME} (${VEHICLE})`, requestId: 'r-1' }),
      JSON.stringify({ level: 'warn', time: '2026-11-30T10:00:01.000Z', scope: 'engine', msg: 'details: unreadable row', reason: `concern ${CONCERN.toUpperCase()}` }),
    ].join('\n') + '\n',
  )
  return dir
}

beforeEach(() => electron.resetElectronMock())

describe('diagnostics:export over IPC', () => {
  it('writes the chosen file: checks, versions, state with queue ids — no key and no customer data', async () => {
    const out = join(tempDir(), 'diag.json')
    electron.dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: out })
    const log = capture()
    registerDiagnosticsExport({ facts: async () => facts(), logDir: logDirQuoting(), appVersion: '1.2.3', choosePath: saveDialog(() => null), defaultDir: '/home/m/Downloads', log, now: () => Date.parse('2026-11-30T12:34:56Z') })
    const r = await electron.ipcMain.handlers.get('diagnostics:export')!({ senderFrame: { url: 'app://bundle/index.html' } })
    expect(r).toEqual({ ok: true, path: out })
    expect(electron.dialog.showSaveDialog).toHaveBeenCalledWith(expect.objectContaining({ defaultPath: '/home/m/Downloads/bayalert-diagnostics-2026-11-30-12-34-56.json', filters: [{ name: 'JSON', extensions: ['json'] }] }))

    const text = readFileSync(out, 'utf8')
    for (const needle of [NAME, 'Ångström', VEHICLE, CONCERN, 'DROP TABLE', ANON]) expect(text.toLowerCase(), needle).not.toContain(needle.toLowerCase())
    const b = JSON.parse(text)
    expect(b).toMatchObject({
      host: 'electron',
      versions: { app: '1.2.3' },
      settings: { supabaseUrl: 'https://xyz.supabase.co', keyKind: 'anon-jwt', email: 'm…@shop.test', soundEnabled: true, configured: true, provisioning: { source: null, fields: [] } },
      state: { link: { state: 'live' }, queue: [{ requestId: 'r-1', detail: 'full', acknowledged: false }] },
      logs: { lineCount: 2, file: { failures: 0 } },
    })
    expect(b.checks.map((c: { name: string; status: string }) => `${c.name}:${c.status}`)).toEqual([
      'config:ok',
      'link:ok',
      'health:ok',
      'flags:ok',
      'secret storage:ok',
      'log file:ok',
      'host faults:ok',
      'notifications:ok',
    ])
    expect(b.logs.lines[0]).toMatchObject({ msg: 'rang for [customer] ([customer])', requestId: 'r-1' })
    expect(b.logs.lines[1]).toMatchObject({ reason: 'concern [customer]' })
    expect(log.lines).toContainEqual({ level: 'info', msg: 'diagnostics exported', fields: { path: out } })
  })

  it('an untrusted frame cannot export', async () => {
    registerDiagnosticsExport({ facts: async () => facts(), logDir: '/x', appVersion: '1', choosePath: async () => '/tmp/never.json', defaultDir: '/d', log: capture() })
    await expect(Promise.resolve(electron.ipcMain.handlers.get('diagnostics:export')!({ senderFrame: { url: 'https://evil.example/' } }))).rejects.toThrow(/untrusted sender/)
  })
})

describe('exportDiagnostics outcomes', () => {
  it('cancelled: { ok: false, error: "Cancelled." } and nothing gathered', async () => {
    const gather = vi.fn(async () => facts())
    expect(await exportDiagnostics({ facts: gather, logDir: '/x', appVersion: '1', choosePath: async () => null, defaultDir: '/d', log: capture() })).toEqual({ ok: false, error: 'Cancelled.' })
    expect(gather).not.toHaveBeenCalled()
  })

  it('a path that cannot be written: the reason, logged', async () => {
    const log = capture()
    const path = join(tempDir(), 'missing-dir', 'd.json')
    const r = await exportDiagnostics({ facts: async () => facts(), logDir: '/x', appVersion: '1', choosePath: async () => path, defaultDir: '/d', log })
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/^Could not write .*d\.json: ENOENT/) })
    expect(log.lines.at(-1)).toMatchObject({ level: 'error', msg: 'diagnostics export failed' })
  })

  it('a save dialog that throws: the reason', async () => {
    const r = await exportDiagnostics({ facts: async () => facts(), logDir: '/x', appVersion: '1', choosePath: async () => { throw new Error('no display') }, defaultDir: '/d', log: capture() })
    expect(r).toEqual({ ok: false, error: 'The save dialog could not open: no display' })
  })

  it('the dialog sits on the queue window when it is open', async () => {
    const win = new electron.FakeBrowserWindow()
    electron.dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: '/p.json' })
    expect(await saveDialog(() => win as never)('/d/x.json')).toBe('/p.json')
    expect(electron.dialog.showSaveDialog.mock.calls[0]![0]).toBe(win)
    electron.dialog.showSaveDialog.mockResolvedValueOnce({ canceled: false, filePath: '' })
    expect(await saveDialog(() => null)('/d/x.json')).toBeNull()
  })
})

describe('hostChecks', () => {
  const status = (f: HostFacts, name: string) => hostChecks(f).find((c) => c.name === name)!
  it('link: live ok, connecting/degraded warn, offline/signed-out fail, with the reason', () => {
    for (const [state, expected] of [['live', 'ok'], ['connecting', 'warn'], ['degraded', 'warn'], ['offline', 'fail'], ['signed-out', 'fail']] as const) {
      const c = status(facts({ snapshot: makeSnapshot({ link: { state, reason: `why ${state}`, since: 0 } }) }), 'link')
      expect(c).toEqual({ name: 'link', status: expected, detail: `[${state}] why ${state} (since 1970-01-01T00:00:00.000Z)` })
    }
  })
  it('problems turn their check to warn or fail with the cause', () => {
    const f = facts({
      snapshot: makeSnapshot({
        flags: { mech_new_request_alerts: false, mech_audio_alerts: true, mech_browser_notifications: true, mech_visual_indicators: true },
        health: { ...makeSnapshot().health, degradedReason: 'Local store unavailable', counters: { 'host:fault': 2 } },
      }),
      settings: { settings: { supabaseUrl: '', anonKey: '', email: '', soundEnabled: true }, problems: [], fields: {}, configured: false, provisioning: { source: null, fields: [] } },
      secretStorage: { protected: false, backend: 'basic_text', message: 'No keyring' },
      logStats: { path: '/l', failures: 3, droppedLines: 7, lastFailure: 'ENOSPC: no space left on device' },
      notificationsSupported: false,
    })
    expect(hostChecks(f).map((c) => [c.name, c.status, c.detail])).toEqual([
      ['config', 'fail', 'No shop configured yet.'],
      ['link', 'ok', expect.any(String)],
      ['health', 'warn', 'Local store unavailable (fetch failures 0 %, sink failures 0 %)'],
      ['flags', 'warn', expect.stringContaining('mech_new_request_alerts=OFF')],
      ['secret storage', 'warn', 'No keyring'],
      ['log file', 'warn', '/l: 3 failure(s), 7 line(s) lost; last: ENOSPC: no space left on device'],
      ['host faults', 'warn', '2 since start (see the error lines in the log)'],
      ['notifications', 'fail', expect.stringMatching(/not supported/)],
    ])
  })
  it('alert path: only when the host has one; a warning with its reasons, what could not be told and the last test alert', () => {
    expect(hostChecks(facts()).map((c) => c.name)).not.toContain('alert path')
    const base = { checkedAt: 1, trigger: 'start', findings: [], unknown: [], deliveries: null }
    expect(status(facts({ alertPath: { ...base, state: 'ok', text: 'Alert path ok.' } }), 'alert path')).toEqual({ name: 'alert path', status: 'ok', detail: 'Alert path ok.' })
    expect(status(facts({ alertPath: { ...base, state: 'checking', checkedAt: null, text: 'Checking…' } }), 'alert path').status).toBe('warn')
    expect(
      status(
        facts({
          alertPath: {
            ...base,
            state: 'warning',
            text: 'Muted.',
            findings: [{ id: 'audio-muted', affects: 'sound', reason: 'Muted.' }],
            unknown: [{ detector: 'linux: tray host', why: 'gdbus is not installed' }],
            deliveries: [{ sink: 'sound', outcome: 'failed', detail: 'x' }, { sink: 'tray', outcome: 'delivered', detail: 'y' }],
          },
        }),
        'alert path',
      ),
    ).toEqual({ name: 'alert path', status: 'warn', detail: 'Muted.; could not tell: linux: tray host (gdbus is not installed); last test alert: sound failed, tray delivered' })
  })
  it('configured with problems is a warning that lists them', () => {
    const f = facts({ settings: { ...facts().settings, problems: ['Saved URL was invalid.', 'Key replaced.'] } })
    expect(status(f, 'config')).toEqual({ name: 'config', status: 'warn', detail: 'Saved URL was invalid. Key replaced.' })
  })
})

describe('preload', () => {
  it('the queue page reaches it as window.bayalert.host.exportDiagnostics()', async () => {
    const { bayalert } = await import('../../../src/preload/index.js')
    electron.ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, path: '/p.json' })
    expect(await bayalert.host!.exportDiagnostics!()).toEqual({ ok: true, path: '/p.json' })
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith('diagnostics:export')
  })
})
