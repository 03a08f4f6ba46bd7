// Exact frame shapes and bad input over raw `ws` (Phoenix socket protocol, supabase/realtime realtime_channel.ex, supabase/realtime postgres_cdc_rls, supabase.com/docs/guides/realtime/broadcast). The fake must answer like Phoenix or
// log and ignore — never crash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startHarness, waitFor, sleep, type Harness } from './harness.js'
import { bindingId, decodeBinary, decodeUserBroadcast, encodeBroadcastPush, encodeUserBroadcast, parseFilter } from './protocol.js'

type Frame = unknown[] | Record<string, unknown> | { binary: ReturnType<typeof decodeUserBroadcast> }

class Raw {
  frames: Frame[] = []
  closed: number | null = null
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.frames.push({ binary: decodeUserBroadcast(data as Buffer) })
      else this.frames.push(JSON.parse(String(data)))
    })
    ws.on('close', (code) => (this.closed = code))
  }
  static async open(h: Harness, vsn = '2.0.0', key = h.anonKey): Promise<Raw> {
    const ws = new WebSocket(`${h.url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${key}&vsn=${vsn}`)
    await new Promise<void>((res, rej) => (ws.once('open', () => res()), ws.once('error', rej)))
    return new Raw(ws)
  }
  send(x: unknown): void {
    this.ws.send(typeof x === 'string' || Buffer.isBuffer(x) ? (x as string | Buffer) : JSON.stringify(x))
  }
  async next(what: string, pred: (f: Frame) => boolean, timeoutMs = 3000): Promise<Frame> {
    const f = await waitFor(what, () => this.frames.find(pred), timeoutMs)
    this.frames.splice(this.frames.indexOf(f), 1)
    return f
  }
  async heartbeatOk(ref: string): Promise<void> {
    this.send([null, ref, 'phoenix', 'heartbeat', {}])
    expect(await this.next(`heartbeat ${ref}`, (f) => Array.isArray(f) && f[1] === ref)).toEqual([null, ref, 'phoenix', 'phx_reply', { status: 'ok', response: {} }])
  }
}

const isArr = (f: Frame): f is unknown[] => Array.isArray(f)

describe('codec', () => {
  it('kind 3 / kind 4 round trip and a frame captured from the hosted service', () => {
    const push = encodeBroadcastPush('6', '7', 'realtime:mechanic:u1', 'ping', { hello: 1 })
    expect(push.subarray(0, 7)).toEqual(Buffer.from([3, 1, 1, 20, 4, 0, 1]))
    const d = decodeBinary(push)
    expect(d).toEqual({ ok: true, value: { join_ref: '6', ref: '7', topic: 'realtime:mechanic:u1', event: 'ping', meta: null, payload: { hello: 1 }, binary: false } })
    const out = encodeUserBroadcast('realtime:x', 'e', { a: 1 }, { id: 'abc' })!
    expect(decodeUserBroadcast(out)).toEqual({ topic: 'realtime:x', event: 'e', meta: { id: 'abc' }, payload: { a: 1 } })
    expect(decodeBinary(Buffer.from([3, 9, 9]))).toMatchObject({ ok: false })
    expect(decodeBinary(Buffer.from([7]))).toMatchObject({ ok: false })
  })
  it('binding ids are stable and filters parse', () => {
    const p = { event: '*', schema: 'public', table: 't', filter: 'a=eq.1' }
    expect(bindingId(p)).toBe(bindingId({ filter: 'a=eq.1', table: 't', schema: 'public', event: '*' }))
    expect(bindingId(p)).not.toBe(bindingId({ ...p, event: 'INSERT' }))
    expect(Number.isInteger(bindingId(p))).toBe(true)
    expect(parseFilter('status=in.(queued,"a b")')).toEqual({ ok: true, value: { column: 'status', op: 'in', value: '{queued,"a b"}' } })
    expect(parseFilter('x=like.y')).toMatchObject({ ok: false })
  })
})

describe('raw protocol', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    await h?.stop()
  })

  it('join reply, system, postgres_changes, leave: exact frames', async () => {
    const me = await h.user()
    const r = await Raw.open(h)
    const b1 = { event: '*', schema: 'public', table: 'feature_flags', filter: 'enabled=eq.true' }
    const b2 = { event: 'INSERT', schema: 'public', table: 'feature_flags' }
    r.send(['6', '6', 'realtime:raw1', 'phx_join', { config: { broadcast: { self: false, ack: false }, presence: { key: '', enabled: false }, postgres_changes: [b1, b2], private: false }, access_token: me.token }])
    const reply = await r.next('join reply', (f) => isArr(f) && f[3] === 'phx_reply')
    expect(reply).toEqual(['6', '6', 'realtime:raw1', 'phx_reply', { status: 'ok', response: { postgres_changes: [{ ...b1, id: bindingId(b1) }, { ...b2, id: bindingId(b2) }] } }])
    expect(await r.next('system', (f) => isArr(f) && f[3] === 'system')).toEqual([
      '6',
      null,
      'realtime:raw1',
      'system',
      { extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL', channel: 'raw1' },
    ])
    await h.sql.query("insert into public.feature_flags (key, enabled) values ('raw_flag', true)")
    const ch = (await r.next('postgres_changes', (f) => isArr(f) && f[3] === 'postgres_changes')) as unknown[]
    expect(ch.slice(0, 4)).toEqual([null, null, 'realtime:raw1', 'postgres_changes'])
    const payload = ch[4] as { ids: number[]; data: Record<string, unknown> }
    expect(payload.ids.sort()).toEqual([bindingId(b1), bindingId(b2)].sort()) // one frame, both binding ids
    expect(Object.keys(payload.data)).toEqual(['columns', 'commit_timestamp', 'errors', 'record', 'schema', 'table', 'type'])
    expect(payload.data).toMatchObject({ schema: 'public', table: 'feature_flags', type: 'INSERT', errors: null, record: { key: 'raw_flag', enabled: true } })
    expect((payload.data.columns as Array<{ name: string; type: string }>).slice(0, 2)).toEqual([
      { name: 'key', type: 'text' },
      { name: 'enabled', type: 'bool' },
    ])
    r.send(['6', '8', 'realtime:raw1', 'phx_leave', {}])
    expect(await r.next('leave reply', (f) => isArr(f) && f[1] === '8')).toEqual(['6', '8', 'realtime:raw1', 'phx_reply', { status: 'ok', response: {} }])
    expect(await r.next('close', (f) => isArr(f) && f[3] === 'phx_close')).toEqual(['6', '6', 'realtime:raw1', 'phx_close', {}])
    // After the leave the topic is unknown.
    r.send(['6', '9', 'realtime:raw1', 'access_token', { access_token: me.token }])
    // Phoenix's encode_ignore: the unmatched-topic reply has no join_ref.
    expect(await r.next('unmatched', (f) => isArr(f) && f[1] === '9')).toEqual([null, '9', 'realtime:raw1', 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }])
    r.ws.close()
  })

  it('a role without SELECT on the primary key gets the 401 frame: all its bindings, filter or not, no record', async () => {
    // A new Supabase project grants nothing on new tables (changelog #45329); apply_rls checks the primary key's
    // column privilege before any filter or RLS query and sends the error to every subscription of that role.
    await h.sql.query(`
      create table public.rt_nogrant (id int primary key, note text);
      alter table public.rt_nogrant enable row level security;
      create policy "everyone" on public.rt_nogrant for select to authenticated using (true);
      revoke all on public.rt_nogrant from anon, authenticated;
      grant select (note) on public.rt_nogrant to authenticated;
      alter publication supabase_realtime add table public.rt_nogrant;`)
    const me = await h.user()
    const r = await Raw.open(h)
    const all = { event: '*', schema: 'public', table: 'rt_nogrant' }
    // A filter on a column it may read (a filter on one it may not is refused at subscribe time).
    const never = { event: 'INSERT', schema: 'public', table: 'rt_nogrant', filter: 'note=eq.never' }
    r.send(['1', '1', 'realtime:nogrant', 'phx_join', { config: { postgres_changes: [all, never], private: false }, access_token: me.token }])
    await r.next('join reply', (f) => isArr(f) && f[3] === 'phx_reply')
    await r.next('system', (f) => isArr(f) && f[3] === 'system')
    await h.sql.query("insert into public.rt_nogrant values (1, 'secret')")
    const ch = (await r.next('postgres_changes', (f) => isArr(f) && f[3] === 'postgres_changes')) as unknown[]
    const payload = ch[4] as { ids: number[]; data: Record<string, unknown> }
    expect(payload.ids.sort()).toEqual([bindingId(all), bindingId(never)].sort())
    expect(payload.data).toEqual({ columns: [], commit_timestamp: null, errors: ['Error 401: Unauthorized'], schema: 'public', table: 'rt_nogrant', type: 'INSERT' })
    // Privileges are read per change, not per join: granted now, the same subscription gets the record…
    await h.sql.query('grant select on public.rt_nogrant to authenticated')
    await h.sql.query("insert into public.rt_nogrant values (2, 'now visible')")
    const next = (await r.next('postgres_changes after grant', (f) => isArr(f) && f[3] === 'postgres_changes')) as unknown[]
    expect((next[4] as { data: Record<string, unknown> }).data).toMatchObject({ errors: null, record: { id: 2, note: 'now visible' } })
    // …and revoked again, the error.
    await h.sql.query('revoke select on public.rt_nogrant from authenticated')
    await h.sql.query("insert into public.rt_nogrant values (3, 'hidden again')")
    const last = (await r.next('postgres_changes after revoke', (f) => isArr(f) && f[3] === 'postgres_changes')) as unknown[]
    expect((last[4] as { data: Record<string, unknown> }).data).toMatchObject({ errors: ['Error 401: Unauthorized'] })
    expect((last[4] as { data: Record<string, unknown> }).data).not.toHaveProperty('record')
    r.ws.close()
  })

  it('second join on the same topic closes the old one with its join_ref', async () => {
    const r = await Raw.open(h)
    r.send(['1', '1', 'realtime:twice', 'phx_join', { config: {} }])
    await r.next('first reply', (f) => isArr(f) && f[1] === '1')
    r.send(['2', '2', 'realtime:twice', 'phx_join', { config: {} }])
    expect(await r.next('old close', (f) => isArr(f) && f[3] === 'phx_close')).toEqual(['1', '1', 'realtime:twice', 'phx_close', {}])
    expect(await r.next('second reply', (f) => isArr(f) && f[1] === '2')).toMatchObject(['2', '2', 'realtime:twice', 'phx_reply', { status: 'ok' }])
    r.ws.close()
  })

  it('pushes that carry an earlier join_ref of the topic are ignored (no reply, no effect); the current one works', async () => {
    const r = await Raw.open(h)
    r.send(['1', '1', 'realtime:stale', 'phx_join', { config: { broadcast: { ack: true, self: true } } }])
    await r.next('first join', (f) => isArr(f) && f[1] === '1')
    r.send(['2', '2', 'realtime:stale', 'phx_join', { config: { broadcast: { ack: true, self: true } } }])
    await r.next('old close', (f) => isArr(f) && f[3] === 'phx_close')
    await r.next('second join', (f) => isArr(f) && f[1] === '2')
    // A broadcast and a leave for join 1, raced by the client: nothing happens, nothing is answered.
    r.send(['1', '3', 'realtime:stale', 'broadcast', { type: 'broadcast', event: 'old', payload: {} }])
    r.send(['1', '4', 'realtime:stale', 'phx_leave', {}])
    await sleep(150)
    expect(r.frames.filter((f) => 'binary' in f || (isArr(f) && (f[1] === '3' || f[1] === '4')))).toEqual([])
    // Join 2 is still there: its own broadcast is acknowledged and echoed (self).
    r.send(['2', '5', 'realtime:stale', 'broadcast', { type: 'broadcast', event: 'current', payload: {} }])
    expect(await r.next('ack', (f) => isArr(f) && f[1] === '5')).toEqual(['2', '5', 'realtime:stale', 'phx_reply', { status: 'ok', response: {} }])
    expect(await r.next('echo', (f) => 'binary' in f)).toEqual({ binary: { topic: 'realtime:stale', event: 'current', meta: undefined, payload: {} } })
    r.ws.close()
  })

  it('binary kind 3 from a v2 client → kind 4 to v2 peers, text to v1 peers; ack reply', async () => {
    const a = await Raw.open(h)
    const b = await Raw.open(h)
    const v1 = await Raw.open(h, '1.0.0')
    a.send(['1', '1', 'realtime:bin', 'phx_join', { config: { broadcast: { ack: true, self: false } } }])
    b.send(['1', '1', 'realtime:bin', 'phx_join', { config: {} }])
    v1.send({ topic: 'realtime:bin', event: 'phx_join', payload: { config: {} }, ref: '1', join_ref: '1' })
    await a.next('a joined', (f) => isArr(f) && f[3] === 'phx_reply')
    await b.next('b joined', (f) => isArr(f) && f[3] === 'phx_reply')
    expect(await v1.next('v1 joined', (f) => !isArr(f) && (f as Record<string, unknown>).event === 'phx_reply')).toMatchObject({ topic: 'realtime:bin', ref: '1', join_ref: '1', payload: { status: 'ok' } })
    a.send(encodeBroadcastPush('1', '2', 'realtime:bin', 'ping', { hello: 1 }))
    expect(await a.next('ack', (f) => isArr(f) && f[1] === '2')).toEqual(['1', '2', 'realtime:bin', 'phx_reply', { status: 'ok', response: {} }])
    expect(await b.next('kind 4', (f) => 'binary' in f)).toEqual({ binary: { topic: 'realtime:bin', event: 'ping', meta: undefined, payload: { hello: 1 } } })
    expect(await v1.next('v1 text', (f) => !isArr(f) && (f as Record<string, unknown>).event === 'broadcast')).toEqual({
      join_ref: null,
      ref: null,
      topic: 'realtime:bin',
      event: 'broadcast',
      payload: { event: 'ping', payload: { hello: 1 }, type: 'broadcast' },
    })
    await sleep(50)
    expect(a.frames.filter((f) => 'binary' in f)).toEqual([]) // self:false
    for (const r of [a, b, v1]) r.ws.close()
  })

  it('bad frames are logged and ignored; the socket keeps working', async () => {
    const r = await Raw.open(h)
    const before = h.logs.length
    r.send('this is not json')
    r.send('[1,2,3]')
    r.send('{"topic":"x"}')
    r.send(JSON.stringify([null, '5', 42, 'heartbeat', {}]))
    r.send(Buffer.from([9, 9, 9, 9]))
    r.send(Buffer.from([3, 200, 1, 1, 1, 0, 1, 65]))
    r.send(Buffer.from([3, 1, 1, 1, 1, 0, 1, 0x31, 0x32, 0x78, 0x65, 0x7b])) // truncated JSON payload
    r.send(['1', '1', 'realtime:bad', 'phx_join', { config: { postgres_changes: 'nope' } }])
    expect(await r.next('join error', (f) => isArr(f) && f[1] === '1')).toEqual(['1', '1', 'realtime:bad', 'phx_reply', { status: 'error', response: { reason: 'InvalidJoinPayload: postgres_changes must be a list of objects' } }])
    r.send(['2', '2', 'realtime:ok', 'phx_join', {}]) // legacy-ish join without config
    await r.next('join ok', (f) => isArr(f) && f[1] === '2')
    r.send(['2', '3', 'realtime:ok', 'no_such_event', {}])
    r.send(['2', '4', 'realtime:unjoined', 'broadcast', { type: 'broadcast', event: 'x', payload: {} }])
    expect(await r.next('unmatched', (f) => isArr(f) && f[1] === '4')).toEqual([null, '4', 'realtime:unjoined', 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }])
    r.send([null, '5', 'not-realtime', 'phx_join', {}])
    expect(await r.next('no route', (f) => isArr(f) && f[1] === '5')).toEqual([null, '5', 'not-realtime', 'phx_reply', { status: 'error', response: { reason: 'unmatched topic' } }])
    await r.heartbeatOk('99')
    expect(r.closed).toBeNull()
    const logged = h.logs.slice(before).join('\n')
    expect(logged).toContain('not JSON')
    expect(logged).toContain('5-element array')
    expect(logged).toContain('unsupported binary kind 9')
    expect(logged).toContain('unknown event "no_such_event"')
    r.ws.close()
  })

  it('join errors: bad access_token, empty topic', async () => {
    const r = await Raw.open(h)
    r.send(['1', '1', 'realtime:x', 'phx_join', { config: {}, access_token: 'a.b.c' }])
    expect(await r.next('malformed', (f) => isArr(f) && f[1] === '1')).toEqual(['1', '1', 'realtime:x', 'phx_reply', { status: 'error', response: { reason: 'MalformedJWT: The token provided is not a valid JWT' } }])
    const noRole = h.jwt.sign({ sub: 'x', exp: Math.floor(Date.now() / 1000) + 60 })
    r.send(['2', '2', 'realtime:x', 'phx_join', { config: {}, access_token: noRole }])
    expect(((await r.next('no role', (f) => isArr(f) && f[1] === '2')) as unknown[])[4]).toEqual({ status: 'error', response: { reason: 'InvalidJWTToken: Fields `role` and `exp` are required in JWT' } })
    r.send(['3', '3', 'realtime:', 'phx_join', { config: {} }])
    expect(((await r.next('topic', (f) => isArr(f) && f[1] === '3')) as unknown[])[4]).toEqual({ status: 'error', response: { reason: 'TopicNameRequired: You must provide a topic name' } })
    // sb_ keys mean "use the socket apikey" (supabase/realtime realtime_channel.ex).
    r.send(['4', '4', 'realtime:x', 'phx_join', { config: {}, access_token: 'sb_publishable_xyz' }])
    expect(((await r.next('sb_ key', (f) => isArr(f) && f[1] === '4')) as unknown[])[4]).toMatchObject({ status: 'ok' })
    r.ws.close()
  })

  it('idle sockets are closed after the idle timeout', async () => {
    const h2 = await startHarness({ idleTimeoutMs: 400 })
    try {
      const r = await Raw.open(h2)
      await waitFor('closed', () => r.closed !== null, 3000)
    } finally {
      await h2.stop()
    }
  })
})
