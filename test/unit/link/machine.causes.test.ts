// How the link reads what the server and the socket tell it: which join refusals are a stale token (refresh
// first), which say the role may not read the topic (the fallback), which say the project allows private
// channels only; and the words a mechanic sees for a lost, refused or silent socket.
import { beforeEach, describe, expect, it } from 'vitest'
import { transition, type LinkEvent, type LinkMachine } from '../../../src/core/link/machine.js'
import { STATES, run } from './machine-fixtures.js'

const step = (m: LinkMachine, e: LinkEvent) => transition(m, e, 0.5)
// Reached inside each test (see STATES): mutation testing credits the machine code it runs to that test.
let live: LinkMachine
beforeEach(() => {
  live = STATES.live
})
const refuseShop = (cause: string) => step(live, { type: 'joinRefused', gen: live.gen, channel: 'shop', cause }).state

describe('join refusals', () => {
  it.each([
    'InvalidJWTToken: Token has expired',
    'jwt malformed',
    'JWT expired',
    'token revoked',
    'the session has expired',
    'Unauthorized',
    'unauthorised',
  ])('"%s" is a stale token: retried with a refreshed session', (cause) => {
    const m = refuseShop(cause)
    expect(m.fallback).toBeNull()
    expect(m.retry).toMatchObject({ refresh: true, hard: false, why: `The server refused channel shop:requests (${cause})` })
  })

  it.each(['rate limited', 'Internal server error', 'timeout', ''])('"%s" is no token problem: retried without a refresh', (cause) => {
    const m = refuseShop(cause)
    expect(m.fallback).toBeNull()
    expect(m.retry).toMatchObject({ refresh: false })
  })

  it.each(['permission denied for table messages', 'Permission denied', 'Unauthorized: You do not have permissions to read from this Channel topic'])(
    '"%s" names permissions: the fallback, no retry',
    (cause) => {
      const m = refuseShop(cause)
      expect(m.fallback).toEqual({ reason: `The server refused channel shop:requests (${cause})`, refused: true })
      expect(m.retry).toBeNull()
    },
  )

  it('an empty cause is shown as "channel error"', () => {
    expect(refuseShop('').channels.find((c) => c.name === 'shop')).toMatchObject({ error: 'channel error' })
  })

  let fallback: LinkMachine
  beforeEach(() => {
    fallback = STATES['degraded (fallback)']
  })
  const refuseFeed = (cause: string) => step(fallback, { type: 'joinRefused', gen: fallback.gen, channel: 'feed', cause }).state
  it.each(['PrivateOnly: This project only allows private channels', 'privateonly', 'PrivateOnly'])('"%s" on the public channel: this project is private-only', (cause) => {
    expect(refuseFeed(cause).publicRefused).toBe(cause)
  })

  it.each(['NotPrivateOnly: x', 'PrivateOnlyMode', 'the project is PrivateOnly'])('"%s" is not the PrivateOnly refusal (it must lead the cause, as a word)', (cause) => {
    expect(refuseFeed(cause).publicRefused).toBeNull()
  })

  it('PrivateOnly on the private channel itself means nothing special', () => {
    expect(refuseShop('PrivateOnly: x').publicRefused).toBeNull()
  })
})

describe('what the mechanic reads about the socket', () => {
  it('a lost socket names its close code and reason, and the reconnect countdown in whole seconds (rounded up)', () => {
    const closed = run([{ type: 'socketClose', code: 1006, reason: 'going away' }, { type: 'reconnectScheduled', delayMs: 1500 }], live)
    expect(closed).toMatchObject({ name: 'offline', reason: 'Connection lost (socket closed: 1006 going away); reconnecting in 2 s' })
    const bare = run([{ type: 'socketClose' }], live)
    expect(bare).toMatchObject({ name: 'offline', reason: 'Connection lost (socket closed); reconnecting' })
    const past = run([{ type: 'socketClose' }, { type: 'reconnectScheduled', delayMs: -2500 }], live)
    expect(past.reason).toBe('Connection lost (socket closed); reconnecting in 0 s')
  })

  it('a socket that cannot open says why; without a message, just that it cannot', () => {
    const closed = run([{ type: 'socketClose' }], live)
    expect(run([{ type: 'socketError', message: 'ECONNREFUSED' }], closed).reason).toBe('Cannot connect to Realtime (ECONNREFUSED); reconnecting')
    expect(run([{ type: 'socketError' }], closed).reason).toBe('Cannot connect to Realtime; reconnecting')
    // An error on an open socket is not news by itself (the close that follows is).
    expect(run([{ type: 'socketError', message: 'ECONNRESET' }], live)).toMatchObject({ name: 'live' })
  })

  it('a heartbeat timeout names the silence in seconds; the close that follows keeps that reason', () => {
    const silent = run([{ type: 'heartbeatTimeout' }, { type: 'socketClose', code: 1000 }], live)
    expect(silent).toMatchObject({ name: 'offline', reason: 'No reply from the server for 2.5 s (dead or half-open link); reconnecting' })
  })

  it("a channel the server closed after a shutdown notice says so, and is rebuilt with a refreshed session", () => {
    const m = run([{ type: 'shutdownNotice', gen: live.gen, channel: 'shop', text: 'server shutting down' }, { type: 'serverClosed', gen: live.gen, channel: 'shop' }], live)
    expect(m.retry).toMatchObject({ why: 'The server closed shop:requests: server shutting down', refresh: true, hard: false })
    const plain = run([{ type: 'serverClosed', gen: live.gen, channel: 'shop' }], live)
    expect(plain.retry).toMatchObject({ why: 'The server closed shop:requests' })
  })
})
