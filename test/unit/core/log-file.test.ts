// The rotating log file as a support engineer receives it: JSON lines, capped and rotated, with no key,
// token or password in it whatever the code logged, and a full or missing disk that never crashes the
// app (counted instead). Real files in a temp dir; /dev/full stands in for a full disk.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createWriteStream } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { openHostLog } from '../../../src/core/logging/host-log.js'
import { LOG_FILE_NAME, RotatingLogFile } from '../../../src/core/logging/log-file.js'
import { fileLogger } from '../../../src/core/logging/file-logger.js'
import { readRecentLogLines } from '../../../src/core/logging/recent-lines.js'
import { redactingLogger, redactLogFields, teeLogger } from '../../../src/core/logging/redact-log.js'
import type { Logger } from '../../../src/core/ports.js'

const dirs: string[] = []
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bayalert-log-'))
  dirs.push(d)
  return d
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

function jwt(claims: Record<string, unknown>): string {
  const b = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${b({ alg: 'HS256', typ: 'JWT' })}.${b(claims)}.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg`
}

const SERVICE_ROLE = jwt({ iss: 'supabase', role: 'service_role', exp: 2_000_000_000 })
const SB_SECRET = 'sb_secret_Zk3mQ9xLw2PpR7tYv8Nc'
const PASSWORD = 'hunter2-correct-horse'
const OPAQUE_BEARER = 'op4que.Bearer~Cred+ential/xyz='
const REFRESH = 'rtok4v7lq2mzx9'

function readJsonLines(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('the log file', () => {
  it('holds no key, token or password, however they were logged', async () => {
    const dir = tempDir()
    const host = openHostLog({ dir }, {})
    const log = host.logger('engine')
    log.warn(`REST 401 with Authorization: Bearer ${OPAQUE_BEARER} and apikey=${SB_SECRET}`, {
      key: SERVICE_ROLE,
      headers: { Authorization: `Bearer ${SERVICE_ROLE}`, apikey: SB_SECRET },
      form: { email: 'm@shop.test', password: PASSWORD },
      session: { refresh_token: REFRESH, note: `token=${REFRESH}` },
      list: [{ password: PASSWORD }, `Bearer ${OPAQUE_BEARER}`],
      cause: new Error(`sign-in answered {"password":"${PASSWORD}","access_token":"${SERVICE_ROLE}"}`),
    })
    log.error(`service key ${SERVICE_ROLE} refused`)
    await host.file.flush()

    const text = readFileSync(join(dir, LOG_FILE_NAME), 'utf8')
    for (const secret of [SERVICE_ROLE, SB_SECRET, PASSWORD, OPAQUE_BEARER, REFRESH]) expect(text, secret.slice(0, 12)).not.toContain(secret)
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+/)
    const [first, second] = readJsonLines(join(dir, LOG_FILE_NAME))
    // What is not secret stays readable.
    expect(first).toMatchObject({ level: 'warn', scope: 'engine', form: { email: 'm@shop.test', password: '[redacted]' }, headers: { Authorization: '[redacted]', apikey: '[redacted]' } })
    expect(typeof first!.time).toBe('string')
    expect(new Date(first!.time as string).toISOString()).toBe(first!.time)
    expect(first!.msg).toMatch(/^REST 401 with Authorization: "?\(redacted\)"? and apikey=/)
    expect((first!.cause as { message: string }).message).toContain('sign-in answered')
    expect(second).toMatchObject({ level: 'error', msg: expect.stringMatching(/^service key eyJh…\(redacted \d+ chars\) refused$/) })
    await host.file.close()
  })

  it('is JSON lines at info and above; debug only with BAYALERT_DEBUG; fields named like the line keys are kept aside', async () => {
    const dir = tempDir()
    const quiet = openHostLog({ dir }, {})
    const log = quiet.logger('main')
    log.debug('not written')
    log.info('written', { level: 'x', scope: 'y', time: 1, msg: 'm', n: 1 })
    await quiet.file.close()
    const lines = readJsonLines(join(dir, LOG_FILE_NAME))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 'info', scope: 'main', msg: 'written', field_level: 'x', field_scope: 'y', field_time: 1, field_msg: 'm', n: 1 })

    const dir2 = tempDir()
    const debug = openHostLog({ dir: dir2 }, { BAYALERT_DEBUG: '1' })
    debug.logger('main').debug('now written')
    await debug.file.close()
    expect(readJsonLines(join(dir2, LOG_FILE_NAME))).toMatchObject([{ level: 'debug', msg: 'now written' }])
  })

  it('writes to the console logger too, the same redacted entry', async () => {
    const dir = tempDir()
    const host = openHostLog({ dir }, {})
    const seen: Array<[string, Record<string, unknown> | undefined]> = []
    const console: Logger = { debug() {}, info() {}, warn: (m, f) => void seen.push([m, f]), error() {} }
    host.logger('cli', console).warn(`bad ${SB_SECRET}`, { password: PASSWORD })
    await host.file.close()
    expect(seen).toEqual([[expect.stringMatching(/^bad sb_s…\(redacted \d+ chars\)$/), { password: '[redacted]' }]])
    expect(readJsonLines(join(dir, LOG_FILE_NAME))).toMatchObject([{ msg: seen[0]![0], password: '[redacted]' }])
  })

  it('rotates at the size cap and keeps only the newest files', async () => {
    const dir = tempDir()
    const file = new RotatingLogFile({ dir, maxBytes: 4096, keepFiles: 2 })
    const log = fileLogger(file, 'rot')
    for (let i = 0; i < 400; i++) log.info(`line ${i}`, { pad: 'x'.repeat(60) })
    await file.close()
    const names = readdirSync(dir).filter((n) => n.startsWith(LOG_FILE_NAME)).sort()
    expect(names).toEqual([LOG_FILE_NAME, `${LOG_FILE_NAME}.1`, `${LOG_FILE_NAME}.2`])
    const lineBytes = 200 // generous upper bound for one line
    for (const n of names) expect(statSync(join(dir, n)).size).toBeLessThanOrEqual(4096 + lineBytes)
    // The newest line is in the live file; the oldest were rotated away.
    expect(readFileSync(join(dir, LOG_FILE_NAME), 'utf8')).toContain('"line 399"')
    const all = names.map((n) => readFileSync(join(dir, n), 'utf8')).join('')
    expect(all).not.toContain('"line 0"')
    expect(file.stats()).toMatchObject({ failures: 0, droppedLines: 0 })
  })

  it('a log directory that cannot be created: no throw, counted, reported once, and writing resumes once it can', async () => {
    const parent = tempDir()
    const dir = join(parent, 'logs')
    writeFileSync(dir, 'a file where the log directory should be')
    let now = 1_000
    const onFailure = vi.fn()
    const file = new RotatingLogFile({ dir, retryMs: 30_000, now: () => now, onFailure })
    const log = fileLogger(file, 't')
    expect(() => {
      log.info('one')
      log.info('two')
    }).not.toThrow()
    await file.flush()
    expect(file.stats()).toMatchObject({ failures: 1, droppedLines: 2, lastFailure: expect.stringMatching(/EEXIST|ENOTDIR/) })
    expect(onFailure).toHaveBeenCalledTimes(1)

    rmSync(dir)
    mkdirSync(dir)
    now += 29_999
    log.info('still in the retry pause')
    await file.flush()
    expect(existsSync(join(dir, LOG_FILE_NAME))).toBe(false)
    expect(file.stats().droppedLines).toBe(3)
    now += 1
    log.info('back')
    await file.close()
    expect(readJsonLines(join(dir, LOG_FILE_NAME))).toMatchObject([{ msg: 'back' }])
    expect(file.stats().failures).toBe(1)
  })

  it.skipIf(!existsSync('/dev/full'))('a full disk (writes to /dev/full fail with ENOSPC): no crash, every lost line counted, one report per outage', async () => {
    const onFailure = vi.fn()
    let now = 0
    const file = new RotatingLogFile({ dir: tempDir(), now: () => now, retryMs: 10, onFailure, openStream: () => createWriteStream('/dev/full') })
    const log = fileLogger(file, 't')
    log.error('first')
    log.error('second')
    await file.flush()
    expect(file.stats()).toMatchObject({ failures: 1, droppedLines: 2, lastFailure: expect.stringContaining('ENOSPC') })
    now = 100
    log.error('third')
    await file.flush()
    // Still full: counted again, but the outage was already reported.
    expect(file.stats()).toMatchObject({ failures: 2, droppedLines: 3 })
    expect(onFailure).toHaveBeenCalledTimes(1)
    expect(onFailure.mock.calls[0]![0]).toMatch(/ENOSPC/)
  })

  it('a stream that fails and then works again: a second outage is reported again', async () => {
    let broken = true
    const onFailure = vi.fn()
    let now = 0
    const written: string[] = []
    const openStream = () =>
      new Writable({
        write(chunk, _enc, cb) {
          if (broken) cb(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }))
          else (written.push(String(chunk)), cb())
        },
      })
    const file = new RotatingLogFile({ dir: tempDir(), now: () => now, retryMs: 5, onFailure, openStream })
    const log = fileLogger(file, 't')
    log.info('lost')
    await file.flush()
    broken = false
    now = 10
    log.info('kept')
    await file.flush()
    broken = true
    log.info('lost again')
    await file.flush()
    expect(written.map((l) => JSON.parse(l).msg)).toEqual(['kept'])
    expect(onFailure).toHaveBeenCalledTimes(2)
    expect(file.stats()).toMatchObject({ failures: 2, droppedLines: 2 })
  })

  it('flush and close are bounded: a disk that never answers does not hold up quitting', async () => {
    const hung = () => new Writable({ write() {} }) // never calls back
    const file = new RotatingLogFile({ dir: tempDir(), openStream: hung })
    fileLogger(file, 't').info('stuck')
    const t0 = Date.now()
    await file.close(100)
    expect(Date.now() - t0).toBeLessThan(2000)
    fileLogger(file, 't').info('after close: ignored, not thrown')
  })
})

describe('redaction rules', () => {
  it('replaces secret-named fields at any depth and cleans every string value', () => {
    const out = redactLogFields({
      channel: 'shop:requests',
      count: 3,
      nested: { deeper: { cookie: 'c', anonKey: 'k', anon_key: 'k', accessToken: 't', user_password: 'p', text: `x ${SB_SECRET}` } },
      arr: [{ apikey: 'a' }, 1, null],
      big: 10n,
    })!
    expect(out).toEqual({
      channel: 'shop:requests',
      count: 3,
      nested: { deeper: { cookie: '[redacted]', anonKey: '[redacted]', anon_key: '[redacted]', accessToken: '[redacted]', user_password: '[redacted]', text: expect.stringMatching(/^x sb_s…\(redacted/) } },
      arr: [{ apikey: '[redacted]' }, 1, null],
      big: '10',
    })
    expect(redactLogFields(undefined)).toBeUndefined()
  })

  it('bounds what it walks: depth, long arrays and cycles', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    const out = redactLogFields({ cyclic, long: Array.from({ length: 60 }, (_, i) => i), d: { a: { b: { c: { d: { e: 1 } } } } } })!
    expect((out.long as unknown[]).length).toBe(51)
    expect((out.long as unknown[]).at(-1)).toBe('[10 more]')
    expect((out.long as unknown[])[49]).toBe(49)
    expect(JSON.stringify(out)).toContain('[nested too deep]')
    expect((out.d as any).a.b.c.d).toBe('[nested too deep]')
    expect((out.d as any).a.b.c).toEqual({ d: '[nested too deep]' })
  })

  it('a field that throws when read still leaves a line; one failing logger does not stop the next', () => {
    const got: string[] = []
    const inner: Logger = { debug() {}, info: (m) => void got.push(m), warn() {}, error() {} }
    const hostile = Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new Error('getter') } })
    redactingLogger(inner).info('hello', hostile as Record<string, unknown>)
    expect(got).toEqual(['[unloggable message]'])
    const throwing: Logger = { debug() {}, info: () => { throw new Error('broken') }, warn() {}, error() {} }
    teeLogger(throwing, inner).info('after')
    expect(got).toEqual(['[unloggable message]', 'after'])
  })
})

describe('recent lines', () => {
  it('the last N lines across the live and rotated files, oldest first', () => {
    const dir = tempDir()
    writeFileSync(join(dir, `${LOG_FILE_NAME}.2`), 'a1\na2\n')
    writeFileSync(join(dir, `${LOG_FILE_NAME}.1`), 'b1\nb2\n')
    writeFileSync(join(dir, LOG_FILE_NAME), 'c1\nc2\n')
    expect(readRecentLogLines(dir, 3).lines).toEqual(['b2', 'c1', 'c2'])
    expect(readRecentLogLines(dir, 100).lines).toEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'c2'])
    expect(readRecentLogLines(dir, 2).lines).toEqual(['c1', 'c2'])
  })

  it('reads at most maxBytes from the end and drops the line cut in half', () => {
    const dir = tempDir()
    writeFileSync(join(dir, LOG_FILE_NAME), 'first-long-line\nsecond\nthird\n')
    // 11 bytes from the end start inside "second"; 13 start exactly at it, but a reader of a tail cannot tell
    // that from a cut, so it is dropped too; 14 include the newline before it.
    expect(readRecentLogLines(dir, 10, 11).lines).toEqual(['third'])
    expect(readRecentLogLines(dir, 10, 13).lines).toEqual(['third'])
    expect(readRecentLogLines(dir, 10, 14).lines).toEqual(['second', 'third'])
  })

  it('no log yet: no lines, no problem; an unreadable file is named', () => {
    const dir = tempDir()
    expect(readRecentLogLines(dir, 10)).toEqual({ lines: [], problems: [] })
    mkdirSync(join(dir, LOG_FILE_NAME))
    const r = readRecentLogLines(dir, 10)
    expect(r.lines).toEqual([])
    expect(r.problems).toEqual([expect.stringMatching(/^bayalert\.log: EISDIR/)])
  })
})
