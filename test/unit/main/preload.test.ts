/** @vitest-environment node */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { makeSnapshot } from '../../mocks/fake-engine.js'
vi.mock('electron', () => import('../../mocks/electron.js'))

import * as electron from '../../mocks/electron.js'

// The preload exposes its API at import time (recorded before the first reset below).
const preload = await import('../../../src/preload/index.js')
const exposedAtImport = [...electron.contextBridge.exposed.keys()]
const load = async () => preload
beforeEach(() => electron.resetElectronMock())

describe('preload', () => {
  it('exposes window.bayalert (not the sound API) on the queue page', async () => {
    expect(exposedAtImport).toEqual(['bayalert'])
  })

  it('maps API calls to contract channels', async () => {
    const { bayalert } = await load()
    await bayalert.acknowledge('r-1')
    await bayalert.accept('r-2')
    await bayalert.pause({ minutes: 15 })
    await bayalert.resume()
    await bayalert.reconnectNow()
    await bayalert.getSnapshot()
    await bayalert.host!.signIn('a@b.co', 'pw')
    expect(electron.ipcRenderer.invoke.mock.calls).toEqual([
      ['queue:acknowledge', 'r-1'], ['queue:accept', 'r-2'], ['alerts:pause', { minutes: 15 }], ['alerts:resume'],
      ['link:reconnect'], ['engine:get-snapshot'], ['session:sign-in', 'a@b.co', 'pw'],
    ])
  })

  it('wraps listeners: the page never sees the IpcRendererEvent, and unsubscribe works', async () => {
    const { bayalert } = await load()
    const seen: unknown[][] = []
    const off = bayalert.onSnapshot((...args: unknown[]) => seen.push(args))
    const snap = makeSnapshot()
    const fakeEvent = { sender: { send: () => {} }, ports: [] }
    electron.ipcRenderer.emitter.emit('engine:snapshot', fakeEvent, snap)
    expect(seen).toEqual([[snap]])
    off()
    electron.ipcRenderer.emitter.emit('engine:snapshot', fakeEvent, snap)
    expect(seen).toHaveLength(1)
    expect(electron.ipcRenderer.emitter.listenerCount('engine:snapshot')).toBe(0)
    expect(() => bayalert.onSnapshot('nope' as never)).toThrow(TypeError)
  })

  it('exposes only window.bayalertSound on the sound page', async () => {
    {
      const { bayalertSound, exposeFor } = await load()
      exposeFor('/sound.html')
      expect([...electron.contextBridge.exposed.keys()]).toEqual(['bayalertSound'])
      const played: string[] = []
      bayalertSound.onPlay((s) => played.push(s))
      electron.ipcRenderer.emitter.emit('sound:play', {}, 'request')
      expect(played).toEqual(['request'])
    }
  })

  it('the alert path: status, its updates and the Test alert on the queue page; the sound page answers a play with proof', async () => {
    const { bayalert, bayalertSound } = await load()
    await bayalert.host!.getAlertPath!()
    await bayalert.host!.testAlertPath!()
    await bayalertSound.reportPlayed({ nonce: 'n-1', ok: true, error: null })
    expect(electron.ipcRenderer.invoke.mock.calls).toEqual([['alert-path:get-status'], ['alert-path:test'], ['sound:played', { nonce: 'n-1', ok: true, error: null }]])
    const seen: unknown[] = []
    bayalert.host!.onAlertPath!((st) => seen.push(st.state))
    electron.ipcRenderer.emitter.emit('alert-path:status', {}, { state: 'warning' })
    expect(seen).toEqual(['warning'])
    const plays: unknown[][] = []
    bayalertSound.onPlay((...a) => plays.push(a))
    electron.ipcRenderer.emitter.emit('sound:play', {}, 'request', 0.5, 'n-2')
    expect(plays).toEqual([['request', 0.5, 'n-2']])
  })
})
