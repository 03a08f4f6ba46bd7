/** @vitest-environment node */
// Take it from the notification, per platform, at the thinnest seam: Electron's Notification is the mocked one
// (test/mocks/electron.ts); everything between the OS's event and the engine's accept is the real code.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { Alert } from '../../../src/core/ports.js'
import type { AcceptResult } from '../../../src/shared/types.js'
import * as electron from '../../mocks/electron.js'
vi.mock('electron', () => import('../../mocks/electron.js'))

const { activationInArgv, activationUrl, parseActivation } = await import('../../../src/main/notification-actions/activation.js')
const { requestToastXml, xmlEscape } = await import('../../../src/main/notification-actions/toast-xml.js')
const { platformActions } = await import('../../../src/main/notification-actions/index.js')
const { activationHandler, openUrlHandler, secondInstanceHandler } = await import('../../../src/main/notification-actions/router.js')
const { takeFromNotification } = await import('../../../src/main/notification-actions/take-from-notification.js')
const { NotificationSink } = await import('../../../src/main/notification-sink.js')

const ID = '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab'
const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
const alert = (over: Partial<Alert> = {}): Alert => ({
  kind: 'request', requestId: ID, key: `${ID}@t`, title: 'Dana Ortiz is waiting', body: '2014 Honda Civic — grinding', detail: 'full', items: [], latencyMs: 12, ...over,
})
const handlers = () => ({ take: vi.fn(), open: vi.fn() })

beforeEach(() => electron.resetElectronMock())

describe('activation text (what comes back from outside the app)', () => {
  it('reads exactly bayalert://take/<uuid> and bayalert://open/<uuid>; the id comes back lower-case', () => {
    expect(parseActivation(activationUrl('take', ID))).toEqual({ action: 'take', requestId: ID })
    expect(parseActivation(`bayalert://open/${ID.toUpperCase()}`)).toEqual({ action: 'open', requestId: ID })
  })

  it.each([
    ['another scheme', `https://take/${ID}`],
    ['an unknown action', `bayalert://delete/${ID}`],
    ['an upper-case action', `bayalert://TAKE/${ID}`],
    ['no id', 'bayalert://take/'],
    ['a non-uuid id', 'bayalert://take/not-a-uuid-but-36-characters-long-xxxx'],
    ['a uuid with a bad group', `bayalert://take/${ID.slice(0, 8)}x${ID.slice(9)}`],
    ['a trailing slash', `bayalert://take/${ID}/`],
    ['a query', `bayalert://take/${ID}?all=1`],
    ['a path after the id', `bayalert://take/${ID}/../../etc`],
    ['a second id', `bayalert://take/${ID},${ID}`],
    ['a newline', `bayalert://take/${ID}\nbayalert://take/${ID}`],
    ['leading space', ` bayalert://take/${ID}`],
    ['a percent-encoded id', `bayalert://take/${encodeURIComponent(ID).replace(/-/g, '%2D')}`],
    ['a huge string', `bayalert://take/${ID}`.padEnd(1_000_000, 'x')],
    ['an empty string', ''],
  ])('refuses %s', (_what, raw) => {
    expect(parseActivation(raw)).toBeNull()
  })

  it('refuses what is not a string', () => {
    for (const v of [null, undefined, 42, {}, [activationUrl('take', ID)], { toString: () => activationUrl('take', ID) }]) expect(parseActivation(v)).toBeNull()
  })

  it("a second launch's command line: the first valid activation is used, refused bayalert: arguments are counted, others ignored", () => {
    const other = '0a1b2c3d-0000-4000-8000-000000000000'
    expect(activationInArgv(['BayAlert.exe', '--hidden', activationUrl('take', ID)])).toEqual({ activation: { action: 'take', requestId: ID }, refused: 0 })
    expect(activationInArgv(['x', 'bayalert://take/nope', 'BAYALERT://take/nope', activationUrl('open', other), activationUrl('take', ID)])).toEqual({
      activation: { action: 'open', requestId: other },
      refused: 3, // two malformed, and a second activation (one launch, one action)
    })
    expect(activationInArgv(['x', '--flag', 42, null])).toEqual({ activation: null, refused: 0 })
    // Only the first 50 arguments are looked at.
    expect(activationInArgv([...Array(50).fill('--x'), activationUrl('take', ID)])).toEqual({ activation: null, refused: 0 })
  })
})

describe('Windows toast XML', () => {
  it('carries the title and body as escaped text, a Take it button and the open activation', () => {
    const xml = requestToastXml('<b>Ana</b> & "Bo"', "it's </text><script>", ID)
    expect(xml).toContain('<text>&lt;b&gt;Ana&lt;/b&gt; &amp; &quot;Bo&quot;</text>')
    expect(xml).toContain('<text>it&apos;s &lt;/text&gt;&lt;script&gt;</text>')
    expect(xml).toContain(`<action content="Take it" arguments="bayalert://take/${ID}" activationType="foreground"/>`)
    expect(xml).toContain(`launch="bayalert://open/${ID}" activationType="foreground"`)
    expect(xml).toContain('<audio silent="true"/>')
    expect(xml.match(/<text>/g)).toHaveLength(2)
  })

  it('drops characters XML cannot carry', () => {
    expect(xmlEscape('a\u0000b\u0007c\uFFFEd\tz')).toBe('abcd\tz')
  })
})

describe('per platform', () => {
  it('macOS: a request gets one Take it button; action 0 takes it (new and deprecated argument forms); a click opens it', () => {
    const mac = platformActions('darwin')
    expect(mac.options(alert(), { title: 't' })).toEqual({ title: 't', actions: [{ type: 'button', text: 'Take it' }] })
    expect(mac.options(alert({ kind: 'repeat' }), {})).toHaveProperty('actions')
    const n = new electron.FakeNotification()
    const h = handlers()
    mac.wire(n as never, alert(), h)
    n.emit('action', { actionIndex: 0 }, 0)
    n.emit('action', undefined, 0)
    n.emit('action', { actionIndex: 1 }, 1)
    n.emit('action', { actionIndex: 'x' }, undefined)
    expect(h.take.mock.calls).toEqual([[ID], [ID]])
    n.emit('click')
    expect(h.open).toHaveBeenCalledExactlyOnceWith(ID)
  })

  it('macOS: a summary or a health alert gets no button, and its action event takes nothing', () => {
    const mac = platformActions('darwin')
    for (const a of [alert({ kind: 'summary', requestId: undefined, summaryOf: [ID] }), alert({ kind: 'health', requestId: undefined })]) {
      expect(mac.options(a, { title: 't' })).toEqual({ title: 't' })
      const n = new electron.FakeNotification()
      const h = handlers()
      mac.wire(n as never, a, h)
      n.emit('action', { actionIndex: 0 }, 0)
      n.emit('click')
      expect(h.take).not.toHaveBeenCalled()
      expect(h.open).toHaveBeenCalledExactlyOnceWith(null)
    }
  })

  it('Windows: a request becomes toast XML with the Take it button; activation, not the object, reports the press', () => {
    const win = platformActions('win32')
    const opts = win.options(alert(), { title: 'Dana Ortiz is waiting', body: 'Civic' })
    expect(opts.toastXml).toBe(requestToastXml('Dana Ortiz is waiting', 'Civic', ID))
    const n = new electron.FakeNotification()
    const h = handlers()
    win.wire(n as never, alert(), h)
    expect(n.listenerCount('click')).toBe(0)
    expect(n.listenerCount('action')).toBe(0)
    // A summary has no XML; its click shows the queue.
    const summary = alert({ kind: 'summary', requestId: undefined, summaryOf: [ID] })
    expect(win.options(summary, { title: 's' })).toEqual({ title: 's' })
    const s = new electron.FakeNotification()
    win.wire(s as never, summary, h)
    s.emit('click')
    expect(h.open).toHaveBeenCalledExactlyOnceWith(null)
  })

  it('Linux (no buttons through libnotify): no actions; a click opens the queue on the request', () => {
    const linux = platformActions('linux')
    expect(linux.options(alert(), { title: 't' })).toEqual({ title: 't' })
    expect(platformActions('freebsd')).toBe(linux)
    const n = new electron.FakeNotification()
    const h = handlers()
    linux.wire(n as never, alert(), h)
    n.emit('action', { actionIndex: 0 }, 0)
    n.emit('click')
    expect(h.take).not.toHaveBeenCalled()
    expect(h.open).toHaveBeenCalledExactlyOnceWith(ID)
  })
})

describe('activations reaching the running instance', () => {
  it('Notification.handleActivation: take and open are routed; anything else is refused and takes nothing', () => {
    const h = handlers()
    const refused = vi.fn()
    const on = activationHandler({ handlers: h, refused })
    on({ type: 'action', arguments: activationUrl('take', ID) })
    on({ type: 'click', arguments: activationUrl('open', ID) })
    on({ type: 'click', arguments: '' })
    for (const hostile of [`bayalert://take/${ID}&bayalert://take/${ID}`, 'cmd.exe /c calc', `bayalert://take/${ID}`.repeat(3), 42, { arguments: 'x' }]) {
      on({ type: 'action', arguments: hostile })
    }
    expect(h.take.mock.calls).toEqual([[ID]])
    expect(h.open.mock.calls).toEqual([[ID], [null]])
    expect(refused).toHaveBeenCalledTimes(5)
    // The refusal names the size, never the text that came from outside.
    expect(refused.mock.calls.map((c) => String(c[0])).join(' ')).not.toContain('calc')
  })

  it("'second-instance': an activation on the command line is routed; garbage is refused and only shows the queue", () => {
    const h = handlers()
    const refused = vi.fn()
    const on = secondInstanceHandler({ handlers: h, refused })
    on(['BayAlert.exe', activationUrl('take', ID)])
    on(['BayAlert.exe', 'bayalert://take/1 OR 1=1'])
    on(undefined as never)
    expect(h.take.mock.calls).toEqual([[ID]])
    expect(h.open.mock.calls).toEqual([[null], [null]])
    expect(refused).toHaveBeenCalledOnce()
  })

  it("'open-url': the same strict reading", () => {
    const h = handlers()
    const refused = vi.fn()
    const on = openUrlHandler({ handlers: h, refused })
    on(activationUrl('open', ID))
    on('bayalert://take/../../x')
    expect(h.open.mock.calls).toEqual([[ID]])
    expect(h.take).not.toHaveBeenCalled()
    expect(refused).toHaveBeenCalledOnce()
  })
})

describe('Take it pressed on a notification', () => {
  const setup = (answer: () => Promise<AcceptResult>) => {
    const o = { accept: vi.fn(answer), open: vi.fn(), tell: vi.fn(), log }
    return { o, take: takeFromNotification(o) }
  }

  it('a take that worked says nothing more (the toast is withdrawn with the request)', async () => {
    const { o, take } = setup(async () => ({ ok: true }))
    await take(ID)
    expect(o.accept).toHaveBeenCalledExactlyOnceWith(ID)
    expect(o.tell).not.toHaveBeenCalled()
    expect(o.open).not.toHaveBeenCalled()
  })

  it('lost to someone: says who won, and nothing to retry', async () => {
    const { o, take } = setup(async () => ({ ok: false, reason: 'already-taken', message: 'Ana Lima took it first.' }))
    await take(ID)
    expect(o.tell).toHaveBeenCalledExactlyOnceWith('Not taken', 'Ana Lima took it first.')
    expect(o.open).not.toHaveBeenCalled()
  })

  it('offline or a server error: says why and opens the queue on the request to try again', async () => {
    for (const reason of ['offline', 'error'] as const) {
      const { o, take } = setup(async () => ({ ok: false, reason, message: 'Could not accept: network' }))
      await take(ID)
      expect(o.tell).toHaveBeenCalledExactlyOnceWith('Not taken', 'Could not accept: network')
      expect(o.open).toHaveBeenCalledExactlyOnceWith(ID)
    }
  })

  it('a failing engine call is said and logged, never swallowed', async () => {
    const { o, take } = setup(async () => {
      throw new Error('engine stopped')
    })
    await take(ID)
    expect(o.tell).toHaveBeenCalledExactlyOnceWith('Not taken', 'Could not take it: engine stopped')
    expect(o.open).toHaveBeenCalledExactlyOnceWith(ID)
    expect(log.error).toHaveBeenCalledWith('take from a notification failed', expect.objectContaining({ cause: 'engine stopped' }))
  })

  it('two presses while the claim is in flight take once; a press after it settled tries again', async () => {
    let release!: (r: AcceptResult) => void
    const { o, take } = setup(() => new Promise<AcceptResult>((r) => (release = r)))
    const first = take(ID)
    await take(ID)
    expect(o.accept).toHaveBeenCalledTimes(1)
    release({ ok: true })
    await first
    o.accept.mockImplementation(async () => ({ ok: true }))
    await take(ID)
    expect(o.accept).toHaveBeenCalledTimes(2)
  })
})

describe('NotificationSink with actions', () => {
  it('macOS: the shown notification has the button, and pressing it takes the request', () => {
    const h = handlers()
    new NotificationSink({ platform: 'darwin', showQueue: vi.fn(), log, actions: h }).alert(alert())
    const n = electron.FakeNotification.instances[0]!
    expect(n.options).toMatchObject({ title: 'Dana Ortiz is waiting', silent: true, actions: [{ type: 'button', text: 'Take it' }] })
    n.emit('action', { actionIndex: 0 }, 0)
    expect(h.take).toHaveBeenCalledExactlyOnceWith(ID)
  })

  it('Windows: the toast is the XML with the button; Linux: a click opens the queue on the request', () => {
    const h = handlers()
    new NotificationSink({ platform: 'win32', showQueue: vi.fn(), log, actions: h }).alert(alert())
    expect(electron.FakeNotification.instances[0]!.options.toastXml).toContain(`bayalert://take/${ID}`)
    const showQueue = vi.fn()
    new NotificationSink({ platform: 'linux', showQueue, log, actions: h }).alert(alert())
    const linux = electron.FakeNotification.instances[1]!
    expect(linux.options.actions).toBeUndefined()
    linux.emit('click')
    expect(h.open).toHaveBeenCalledExactlyOnceWith(ID)
    expect(showQueue).not.toHaveBeenCalled()
  })
})
