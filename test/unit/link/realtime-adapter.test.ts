// The realtime-js adapter's own rules, against a fake realtime client at the seam it uses (channel(), subscribe(),
// removeChannel(), the socket adapter's callbacks): which subscribe status is a refused join (the server answered
// the join with an error) and which is the socket's loss, what a channel binds, how a channel is left when the
// library does not cooperate, and that server text reaching the link has its secrets redacted.
import { describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { RealtimeAdapter, type ChannelHooks, type ChannelStatus } from '../../../src/core/link/realtime-adapter.js'
import type { ChannelPlan } from '../../../src/core/link/machine.js'

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU'

interface FakeChannel {
  topic: string
  opts: unknown
  bindings: [string, unknown][]
  subscribe?: (status: string, err?: Error) => void
  tornDown: number
  on(type: string, filter: unknown): FakeChannel
  teardown(): void
}

function fakeRealtime(removeChannel: (ch: FakeChannel) => Promise<string> = async () => 'ok') {
  const channels: FakeChannel[] = []
  const realtime = {
    channels,
    channel(topic: string, opts: unknown) {
      const ch: FakeChannel = {
        topic,
        opts,
        bindings: [],
        tornDown: 0,
        on(type, filter) {
          ch.bindings.push([type, filter])
          return ch
        },
        teardown() {
          ch.tornDown++
        },
      }
      ;(ch as unknown as { subscribe(cb: FakeChannel['subscribe']): FakeChannel }).subscribe = (cb) => {
        ch.subscribe = cb
        return ch
      }
      channels.push(ch)
      return ch
    },
    removeChannel,
  }
  return { client: { realtime } as unknown as SupabaseClient, realtime }
}

function joinWith(plan: Partial<ChannelPlan> = {}) {
  const f = fakeRealtime()
  const warnings: unknown[] = []
  const adapter = new RealtimeAdapter(f.client, (msg, data) => warnings.push({ msg, data }))
  const statuses: ChannelStatus[] = []
  const hooks: ChannelHooks = { broadcast: () => {}, change: () => {}, system: () => {}, status: (s) => statuses.push(s) }
  adapter.join({ name: 'shop', topic: 'shop:requests', private: true, tables: [], changes: false, ...plan }, hooks)
  const ch = f.realtime.channels[0]!
  return { ch, statuses, fire: (status: string, err?: Error) => ch.subscribe!(status, err) }
}

/** A join error reply: realtime-js hands it over as an Error whose cause is the reply payload. */
const replyError = (message: string) => new Error(message, { cause: { reason: message } })

describe('RealtimeAdapter.join: subscribe status → channel status', () => {
  it.each<[string, string, Error | undefined, ChannelStatus]>([
    ['SUBSCRIBED', 'SUBSCRIBED', undefined, { kind: 'joined' }],
    ['a join error reply', 'CHANNEL_ERROR', replyError('Unauthorized: You do not have permissions to read from this Channel topic: shop:requests'), { kind: 'joinRefused', cause: 'Unauthorized: You do not have permissions to read from this Channel topic: shop:requests' }],
    ['a bindings mismatch (no reply cause)', 'CHANNEL_ERROR', new Error('mismatch between server and client bindings for postgres changes'), { kind: 'joinRefused', cause: 'mismatch between server and client bindings for postgres changes' }],
    ['the socket closing under a push, even with a cause', 'CHANNEL_ERROR', replyError('socket closed: 1006'), { kind: 'channelError', cause: 'socket closed: 1006' }],
    ['a socket error', 'CHANNEL_ERROR', replyError('Socket error: ECONNRESET'), { kind: 'channelError', cause: 'Socket error: ECONNRESET' }],
    ['an error without a cause', 'CHANNEL_ERROR', new Error('something broke'), { kind: 'channelError', cause: 'something broke' }],
    ['no error at all', 'CHANNEL_ERROR', undefined, { kind: 'channelError', cause: 'channel error' }],
    ['TIMED_OUT', 'TIMED_OUT', undefined, { kind: 'timedOut' }],
    ['CLOSED', 'CLOSED', undefined, { kind: 'closed' }],
  ])('%s', (_what, status, err, expected) => {
    const j = joinWith()
    j.fire(status, err)
    expect(j.statuses).toEqual([expected])
  })

  it('an unknown status is ignored', () => {
    const j = joinWith()
    j.fire('SOMETHING_NEW')
    expect(j.statuses).toEqual([])
  })

  it("a token in the server's words is redacted before the link sees it", () => {
    const j = joinWith()
    j.fire('CHANNEL_ERROR', replyError(`InvalidJWTToken: ${JWT} has expired`))
    const s = j.statuses[0] as { kind: string; cause: string }
    expect(s.kind).toBe('joinRefused')
    expect(s.cause).not.toContain(JWT)
    expect(s.cause).toMatch(/^InvalidJWTToken: .*redacted.* has expired$/)
  })
})

describe('RealtimeAdapter.join: bindings', () => {
  it('a private broadcast-only channel: every broadcast event and system messages, no postgres_changes; no self, no ack', () => {
    const { ch } = joinWith()
    expect(ch.opts).toEqual({ config: { private: true, broadcast: { self: false, ack: false } } })
    expect(ch.bindings).toEqual([
      ['broadcast', { event: '*' }],
      ['system', {}],
    ])
  })

  it('a public channel with changes: one postgres_changes binding per table in public, every event', () => {
    const { ch } = joinWith({ name: 'feed', topic: 'session_requests_feed', private: false, tables: ['session_assignments', 'feature_flags'], changes: true })
    expect(ch.opts).toMatchObject({ config: { private: false } })
    expect(ch.bindings).toEqual([
      ['broadcast', { event: '*' }],
      ['postgres_changes', { event: '*', schema: 'public', table: 'session_assignments' }],
      ['postgres_changes', { event: '*', schema: 'public', table: 'feature_flags' }],
      ['system', {}],
    ])
  })
})

describe('RealtimeAdapter.leave', () => {
  async function leaveWith(removeChannel: (ch: FakeChannel) => Promise<string>) {
    const f = fakeRealtime(removeChannel)
    const warnings: { msg: string; data: Record<string, unknown> }[] = []
    const adapter = new RealtimeAdapter(f.client, (msg, data) => warnings.push({ msg, data }))
    const hooks: ChannelHooks = { broadcast: () => {}, change: () => {}, system: () => {}, status: () => {} }
    const ch = adapter.join({ name: 'feed', topic: 'session_requests_feed', private: false, tables: [], changes: false }, hooks)
    const other = adapter.join({ name: 'shop', topic: 'shop:requests', private: true, tables: [], changes: false }, hooks)
    await adapter.leave(ch)
    return { f, warnings, ch: ch as unknown as FakeChannel, other: other as unknown as FakeChannel }
  }

  it('an acknowledged leave: the channel is gone from the client, not torn down by hand; others stay', async () => {
    const r = await leaveWith(async () => 'ok')
    expect(r.ch.tornDown).toBe(0)
    expect(r.f.realtime.channels).toEqual([r.other])
    expect(r.warnings).toEqual([])
  })

  it('a leave answered otherwise (timed out on a dead link): torn down locally', async () => {
    const r = await leaveWith(async () => 'timed out')
    expect(r.ch.tornDown).toBe(1)
    expect(r.f.realtime.channels).toEqual([r.other])
  })

  it('a leave that throws: said in the log with the topic, torn down locally', async () => {
    const r = await leaveWith(async () => {
      throw new Error('push on a closed socket')
    })
    expect(r.ch.tornDown).toBe(1)
    expect(r.f.realtime.channels).toEqual([r.other])
    expect(r.warnings).toEqual([{ msg: 'link: removeChannel failed', data: { topic: 'session_requests_feed', cause: 'Error: push on a closed socket' } }])
  })
})

describe('RealtimeAdapter.hookSocket', () => {
  it('open, close (code and reason) and error (its message redacted) reach the hooks', () => {
    const cbs: Record<string, (arg?: unknown) => void> = {}
    const socketAdapter = { onOpen: (cb: () => void) => (cbs.open = cb), onClose: (cb: (e?: unknown) => void) => (cbs.close = cb), onError: (cb: (e: unknown) => void) => (cbs.error = cb) }
    const client = { realtime: { socketAdapter, channels: [] } } as unknown as SupabaseClient
    const seen: unknown[] = []
    new RealtimeAdapter(client, () => {}).hookSocket({ open: () => seen.push('open'), close: (code, reason) => seen.push(['close', code, reason]), error: (m) => seen.push(['error', m]) })
    cbs.open!()
    cbs.close!({ code: 1006, reason: '' })
    cbs.close!()
    cbs.error!(new Error(`connect failed for apikey=${JWT}`))
    cbs.error!({})
    expect(seen.slice(0, 3)).toEqual(['open', ['close', 1006, ''], ['close', undefined, undefined]])
    expect(String((seen[3] as unknown[])[1])).not.toContain(JWT)
    expect(seen[4]).toEqual(['error', undefined])
  })

  it('a client without the socket adapter (a library change) hooks nothing and does not throw', () => {
    const client = { realtime: { channels: [] } } as unknown as SupabaseClient
    expect(() => new RealtimeAdapter(client, () => {}).hookSocket({ open: () => {}, close: () => {}, error: () => {} })).not.toThrow()
  })
})
