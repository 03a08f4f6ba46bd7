/** @vitest-environment node */
// The global shortcut at the thinnest seam: Electron's globalShortcut is the mocked one (test/mocks/electron.ts).
import { beforeEach, describe, expect, it, vi } from 'vitest'
import * as electron from '../../mocks/electron.js'
import { makeItem } from '../../mocks/fake-engine.js'
import { memoryKv } from './fixtures.js'
vi.mock('electron', () => import('../../mocks/electron.js'))

const { acceleratorProblem, DEFAULT_GLOBAL_SHORTCUT, GlobalShortcutSchema } = await import('../../../src/main/global-shortcut/accelerator.js')
const { GlobalShortcut } = await import('../../../src/main/global-shortcut/shortcut.js')
const { oldestWaiting } = await import('../../../src/main/global-shortcut/oldest-waiting.js')
const { loadSettings, SettingsService } = await import('../../../src/main/settings.js')

const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
beforeEach(() => electron.resetElectronMock())

describe('the shortcut setting (an Electron accelerator with at least one modifier)', () => {
  it.each(['CommandOrControl+Alt+T', 'CmdOrCtrl+Shift+F12', 'Alt+Space', 'Super+num5', 'Ctrl++', 'Control+Option+F24', 'Shift+Alt+/', 'Ctrl+Alt+PageDown', ''])(
    'accepts %j',
    (v) => expect(acceleratorProblem(v)).toBeNull(),
  )

  it.each([
    ['a bare key', 'T', /at least one modifier/],
    ['modifiers only', 'Ctrl+Alt', /needs a key after its modifiers/],
    ['a lone modifier', 'Ctrl', /needs a key after its modifiers/],
    ['a trailing plus', 'Ctrl+', /empty or padded/],
    ['an unknown modifier', 'Hyper+T', /"Hyper" is not a modifier/],
    ['a modifier twice', 'Ctrl+ctrl+T', /twice/],
    ['F25', 'Ctrl+F25', /"F25" is not a key/],
    ['two keys', 'Ctrl+T+Y', /"T" is not a modifier/],
    ['spaces inside', 'Ctrl + T', /padded/],
    ['a word as key', 'Ctrl+Hello', /"Hello" is not a key/],
    ['too long', `Ctrl+${'x'.repeat(100)}`, /too long/],
  ])('refuses %s with a sentence', (_what, v, message) => {
    expect(acceleratorProblem(v)).toMatch(message)
  })

  it('refuses what is not text; the schema trims a usable value and carries the sentence', () => {
    expect(acceleratorProblem(5)).toMatch(/must be text/)
    expect(GlobalShortcutSchema.parse('  Alt+T ')).toBe('Alt+T')
    const bad = GlobalShortcutSchema.safeParse('T')
    expect(!bad.success && bad.error.issues[0]!.message).toMatch(/at least one modifier/)
  })

  it('settings: the default is CommandOrControl+Alt+T; a bad saved one falls back to it with the reason by the field', () => {
    expect(loadSettings({}).settings.globalShortcut).toBe(DEFAULT_GLOBAL_SHORTCUT)
    expect(loadSettings({ globalShortcut: 'Alt+F9' }).settings.globalShortcut).toBe('Alt+F9')
    expect(loadSettings({ globalShortcut: '' }).settings.globalShortcut).toBe('')
    const bad = loadSettings({ globalShortcut: 'Q' })
    expect(bad.settings.globalShortcut).toBe(DEFAULT_GLOBAL_SHORTCUT)
    expect(bad.fields.globalShortcut).toMatch(/^Saved shortcut: .*modifier.* The default CommandOrControl\+Alt\+T is used\.$/)
  })

  it('settings: saving a bad shortcut is refused next to its field; a good one is saved trimmed', () => {
    const s = new SettingsService(memoryKv())
    const base = { supabaseUrl: 'https://x.supabase.co', anonKey: 'sb_publishable_shop123', email: '', soundEnabled: true }
    const refused = s.save({ ...base, globalShortcut: 'Ctrl' })
    expect(refused).toMatchObject({ ok: false, fields: { globalShortcut: expect.stringMatching(/needs a key/) } })
    expect(s.save({ ...base, globalShortcut: ' Alt+Shift+T ' })).toMatchObject({ ok: true })
    expect(s.get().settings.globalShortcut).toBe('Alt+Shift+T')
    // Older callers without the field keep working and keep the shortcut.
    expect(s.save(base)).toMatchObject({ ok: true })
    expect(s.get().settings.globalShortcut).toBe('Alt+Shift+T')
  })
})

describe('GlobalShortcut', () => {
  const setup = () => {
    const onPress = vi.fn()
    const onProblem = vi.fn()
    const sc = new GlobalShortcut({ registry: electron.globalShortcut, onPress, onProblem, log })
    return { sc, onPress, onProblem }
  }

  it('registers the accelerator; a press runs the action; the same value again changes nothing', () => {
    const { sc, onPress, onProblem } = setup()
    sc.apply(DEFAULT_GLOBAL_SHORTCUT)
    expect(electron.globalShortcut.register).toHaveBeenCalledOnce()
    expect(sc.registered).toBe(DEFAULT_GLOBAL_SHORTCUT)
    electron.globalShortcut.registered.get(DEFAULT_GLOBAL_SHORTCUT)!()
    expect(onPress).toHaveBeenCalledOnce()
    sc.apply(DEFAULT_GLOBAL_SHORTCUT)
    expect(electron.globalShortcut.register).toHaveBeenCalledOnce()
    expect(onProblem).not.toHaveBeenCalled()
  })

  it('a new value replaces the old one; an empty one removes it', () => {
    const { sc } = setup()
    sc.apply('Alt+T')
    sc.apply('Alt+Y')
    expect(electron.globalShortcut.unregister).toHaveBeenCalledWith('Alt+T')
    expect([...electron.globalShortcut.registered.keys()]).toEqual(['Alt+Y'])
    sc.apply('')
    expect(electron.globalShortcut.registered.size).toBe(0)
    expect(sc.registered).toBeNull()
  })

  it('a combination another program holds (register answers false) is said, logged, and tried again on the next apply', () => {
    const { sc, onProblem } = setup()
    electron.globalShortcut.register.mockReturnValueOnce(false)
    sc.apply('Alt+T')
    expect(sc.registered).toBeNull()
    expect(onProblem).toHaveBeenCalledExactlyOnceWith('The shortcut Alt+T could not be set up: another program or the system already uses it. Choose another one in Settings.')
    expect(log.warn).toHaveBeenCalledWith('global shortcut not registered', expect.objectContaining({ accelerator: 'Alt+T' }))
    sc.apply('Alt+T')
    expect(sc.registered).toBe('Alt+T')
    expect(onProblem).toHaveBeenLastCalledWith(null)
  })

  it('a register that throws (Electron refuses the accelerator) is said with its cause', () => {
    const { sc, onProblem } = setup()
    electron.globalShortcut.register.mockImplementationOnce(() => {
      throw new Error('conversion failure')
    })
    sc.apply('Alt+T')
    expect(onProblem).toHaveBeenCalledWith(expect.stringMatching(/could not be set up: conversion failure/))
  })

  it('a press whose action throws is logged, and the shortcut keeps working', () => {
    const { sc, onPress } = setup()
    onPress.mockImplementationOnce(() => {
      throw new Error('boom')
    })
    sc.apply('Alt+T')
    const press = electron.globalShortcut.registered.get('Alt+T')!
    press()
    press()
    expect(onPress).toHaveBeenCalledTimes(2)
    expect(log.error).toHaveBeenCalledWith('global shortcut: handling a press failed', expect.anything())
  })

  it('clear unregisters (at quit)', () => {
    const { sc } = setup()
    sc.apply('Alt+T')
    sc.clear()
    expect(electron.globalShortcut.unregister).toHaveBeenCalledWith('Alt+T')
    expect(sc.registered).toBeNull()
  })
})

describe('which request the shortcut takes', () => {
  const at = (min: number) => new Date(Date.UTC(2026, 10, 30, 10, min)).toISOString()
  it('the one waiting longest (by queued time), skipping requests the server has not confirmed', () => {
    const q = [makeItem({ requestId: 'b', queuedAt: at(5) }), makeItem({ requestId: 'old-unconfirmed', queuedAt: at(1), confirmed: false }), makeItem({ requestId: 'a', queuedAt: at(3), acknowledged: true })]
    expect(oldestWaiting(q)?.requestId).toBe('a')
    expect(oldestWaiting([])).toBeNull()
    expect(oldestWaiting([makeItem({ requestId: 'x', confirmed: false })])).toBeNull()
  })

  it('without a queued time, when it was first seen here', () => {
    const q = [makeItem({ requestId: 'late', queuedAt: null, firstSeenAt: 2000 }), makeItem({ requestId: 'early', queuedAt: 'garbage', firstSeenAt: 1000 })]
    expect(oldestWaiting(q)?.requestId).toBe('early')
  })
})
