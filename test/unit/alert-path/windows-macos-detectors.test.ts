// Windows and macOS detectors against every answer their commands can give (the OS mocked at the runner).
import { describe, expect, it } from 'vitest'
import { quietHoursDetector, shellNotificationState } from '../../../src/core/alert-path/windows/quiet-hours.js'
import { appKey, GLOBAL_KEY, toastsDetector } from '../../../src/core/alert-path/windows/toasts-enabled.js'
import { focusDetector, focusFromAssertions } from '../../../src/core/alert-path/macos/focus.js'
import { macAudioDetector } from '../../../src/core/alert-path/macos/audio.js'
import { crashed, failed, fakeOs, missing, ok, timeout } from './fake-os.js'

const ids = (r: { findings: { id: string }[] }) => r.findings.map((f) => f.id)

describe('Windows: SHQueryUserNotificationState', () => {
  it('maps every documented state; accepting and "not present" are no finding', () => {
    expect(shellNotificationState(5)).toBe('ok')
    expect(shellNotificationState(1)).toBe('ok')
    for (const s of [2, 3, 4, 6, 7]) expect(shellNotificationState(s)).toMatchObject({ id: 'focus-assist', affects: 'notifications' })
    for (const s of [0, 8, -1]) expect(shellNotificationState(s)).toBeNull()
    expect((shellNotificationState(4) as { reason: string }).reason).toContain('presentation mode')
  })
  it.each([
    ['accepts', ok('0 5\r\n'), [], undefined],
    ['presentation mode', ok('0 4\r\n'), ['focus-assist'], undefined],
    ['quiet time', ok('0 6'), ['focus-assist'], undefined],
    ['failing HRESULT', ok('-2147467259 0'), [], 'SHQueryUserNotificationState returned HRESULT -2147467259'],
    ['state outside the enum', ok('0 9'), [], 'unknown notification state 9'],
    ['garbage', ok('Add-Type : Cannot add type'), [], 'unreadable answer (Add-Type : Cannot add type)'],
    ['PowerShell error', failed('Add-Type : blocked by policy'), [], 'PowerShell failed (Add-Type : blocked by policy)'],
    ['timeout', timeout, [], 'PowerShell did not answer within 3000 ms'],
    ['not installed', missing, [], 'PowerShell is not installed'],
    ['crash', crashed, [], 'PowerShell could not run (spawn EACCES)'],
  ])('%s', async (_n, answer, expected, unknown) => {
    const os = fakeOs({ 'powershell.exe': answer }, { platform: 'win32' })
    const r = await quietHoursDetector.detect(os)
    expect(ids(r)).toEqual(expected)
    expect(r.unknown).toBe(unknown)
    expect(os.calls[0]).toContain('SHQueryUserNotificationState')
  })
})

describe('Windows: notifications switched on (registry)', () => {
  const AUMID = 'com.bayalert.BayAlert'
  const dword = (name: string, v: string) => ok(`\r\nHKEY_CURRENT_USER\\...\r\n    ${name}    REG_DWORD    ${v}\r\n\r\n`)
  const NOT_FOUND = failed('ERROR: The system was unable to find the specified registry key or value.')
  const run = (global: any, app: any) => toastsDetector(AUMID).detect(fakeOs({ [`reg query ${GLOBAL_KEY}`]: global, [`reg query ${appKey(AUMID)}`]: app }, { platform: 'win32' }))

  it('values absent (the default) or 1: on', async () => {
    expect(await run(NOT_FOUND, NOT_FOUND)).toEqual({ findings: [] })
    expect(await run(dword('ToastEnabled', '0x1'), dword('Enabled', '0x1'))).toEqual({ findings: [] })
  })
  it('globally off: toasts-disabled', async () => {
    expect(ids(await run(dword('ToastEnabled', '0x0'), NOT_FOUND))).toEqual(['toasts-disabled'])
  })
  it('off for this app (its AUMID): notifications-denied', async () => {
    expect(ids(await run(NOT_FOUND, dword('Enabled', '0x0')))).toEqual(['notifications-denied'])
  })
  it('both off: both findings', async () => {
    expect(ids(await run(dword('ToastEnabled', '0x0'), dword('Enabled', '0x0')))).toEqual(['toasts-disabled', 'notifications-denied'])
  })
  it('garbage, timeout, missing reg and other failures are unknown, each named', async () => {
    expect((await run(ok('ToastEnabled REG_SZ yes'), NOT_FOUND)).unknown).toBe('unreadable ToastEnabled value')
    expect((await run(timeout, NOT_FOUND)).unknown).toBe('reg did not answer within 3000 ms')
    expect((await run(missing, missing)).unknown).toBe('reg is not installed')
    expect((await run(NOT_FOUND, failed('Access is denied.'))).unknown).toBe('reg failed (Access is denied.)')
  })
})

describe('macOS: Focus / Do Not Disturb', () => {
  const assertions = (records: unknown[]) => JSON.stringify({ data: [{ storeAssertionRecords: records }] })
  it('reads the assertions file macOS 12+ writes', () => {
    expect(focusFromAssertions(assertions([{ assertionDetails: { assertionDetailsModeIdentifier: 'com.apple.donotdisturb.mode.default' } }]))).toBe(true)
    expect(focusFromAssertions(assertions([]))).toBe(false)
    expect(focusFromAssertions(JSON.stringify({ data: [] }))).toBe(false)
    expect(focusFromAssertions(JSON.stringify({ data: [{}] }))).toBe(false)
    expect(focusFromAssertions('{')).toBeNull()
    expect(focusFromAssertions(JSON.stringify({ data: 'x' }))).toBeNull()
    expect(focusFromAssertions(JSON.stringify({ data: [{ storeAssertionRecords: 3 }] }))).toBeNull()
  })
  const withFile = (text: string | null | Error, script = {}) =>
    fakeOs(script, {
      platform: 'darwin',
      readText: async (p) => {
        expect(p).toBe('/Users/m/Library/DoNotDisturb/DB/Assertions.json')
        if (text instanceof Error) throw text
        return text
      },
      env: { HOME: '/Users/m' },
    })
  it('a Focus on: do-not-disturb (notifications), saying how to keep banners', async () => {
    const r = await focusDetector.detect(withFile(assertions([{}])))
    expect(r.findings).toEqual([expect.objectContaining({ id: 'do-not-disturb', affects: 'notifications' })])
    expect(r.findings[0]!.reason).toContain('Allow BayAlert')
  })
  it('no Focus: nothing; the file is enough, defaults is not asked', async () => {
    const os = withFile(assertions([]))
    expect(await focusDetector.detect(os)).toEqual({ findings: [] })
    expect(os.calls).toEqual([])
  })
  it('a file macOS refuses to show (Full Disk Access) is unknown with the cause', async () => {
    expect((await focusDetector.detect(withFile(new Error('EPERM: operation not permitted')))).unknown).toBe('the Focus state could not be read (EPERM: operation not permitted)')
  })
  it('a file of an unknown shape is unknown', async () => {
    expect((await focusDetector.detect(withFile('[]'))).unknown).toBe('the Focus state file has an unknown shape')
  })
  it.each([
    ['on', ok('1\n'), ['do-not-disturb'], undefined],
    ['off', ok('0\n'), [], undefined],
    ['never set', failed('The domain/default pair of (com.apple.notificationcenterui, doNotDisturb) does not exist'), [], undefined],
    ['other failure', failed('boom'), [], 'defaults failed (boom)'],
    ['garbage', ok('perhaps'), [], 'unreadable doNotDisturb value (perhaps)'],
    ['timeout', timeout, [], 'defaults did not answer within 3000 ms'],
    ['missing', missing, [], 'defaults is not installed'],
  ])('older macOS (no assertions file), defaults says %s', async (_n, answer, expected, unknown) => {
    const r = await focusDetector.detect(withFile(null, { defaults: answer }))
    expect(ids(r)).toEqual(expected)
    expect(r.unknown).toBe(unknown)
  })
})

describe('macOS: audio output', () => {
  const settings = (vol: string, muted: string) => ok(`output volume:${vol}, input volume:50, alert volume:100, output muted:${muted}\n`)
  it.each([
    ['audible', settings('50', 'false'), [], undefined],
    ['muted', settings('50', 'true'), ['audio-muted'], undefined],
    ['volume zero', settings('0', 'false'), ['audio-muted'], undefined],
    ['volume one', settings('1', 'false'), [], undefined],
    ['no output device', settings('missing value', 'missing value'), ['no-audio-output'], undefined],
    ['garbage', ok('volume: loud'), [], 'unreadable volume settings (volume: loud)'],
    ['failure', failed('execution error'), [], 'osascript failed (execution error)'],
    ['timeout', timeout, [], 'osascript did not answer within 3000 ms'],
    ['missing', missing, [], 'osascript is not installed'],
  ])('%s', async (_n, answer, expected, unknown) => {
    const r = await macAudioDetector.detect(fakeOs({ osascript: answer }, { platform: 'darwin' }))
    expect(ids(r)).toEqual(expected)
    expect(r.unknown).toBe(unknown)
  })
})
