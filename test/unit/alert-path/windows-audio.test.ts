// Windows audio output through one PowerShell + Core Audio call, the OS mocked at the command runner: every
// answer the probe can print, and everything else PowerShell can do (be missing, hang, fail, print garbage)
// is "could not tell" — never a finding.
import { describe, expect, it } from 'vitest'
import { CORE_AUDIO_ARGS, CORE_AUDIO_SCRIPT, CORE_AUDIO_TIMEOUT_MS, parseCoreAudio, windowsAudioDetector } from '../../../src/core/alert-path/windows/audio.js'
import { DEFAULT_DETECTOR_DEADLINE_MS } from '../../../src/core/alert-path/probe.js'
import type { CommandResult, OsQuery } from '../../../src/core/alert-path/types.js'
import { crashed, failed, fakeOs, missing, ok, timeout } from './fake-os.js'

const ids = (r: { findings: { id: string }[] }) => r.findings.map((f) => f.id)

/** The runner's one call, with its options. */
function windowsOs(answer: CommandResult): OsQuery & { seen: { command: string; args: readonly string[]; timeoutMs?: number }[] } {
  const seen: { command: string; args: readonly string[]; timeoutMs?: number }[] = []
  return { ...fakeOs({}, { platform: 'win32' }), seen, run: async (command, args, opts) => (seen.push({ command, args, timeoutMs: opts?.timeoutMs }), answer) }
}

describe('Windows: audio output (Core Audio through PowerShell)', () => {
  it.each<[string, CommandResult, string[], string | undefined]>([
    ['on, at 42 %', ok('BAYALERT-AUDIO muted=0 volume=0.420\r\n'), [], undefined],
    ['blank lines around the answer', ok('\r\n\r\n  BAYALERT-AUDIO muted=1 volume=0.420  \r\n\r\n'), ['audio-muted'], undefined],
    ['full volume', ok('BAYALERT-AUDIO muted=0 volume=1.000\r\n'), [], undefined],
    ['the quietest audible step', ok('BAYALERT-AUDIO muted=0 volume=0.010'), [], undefined],
    ['muted', ok('BAYALERT-AUDIO muted=1 volume=0.420\r\n'), ['audio-muted'], undefined],
    ['volume 0', ok('BAYALERT-AUDIO muted=0 volume=0.000\r\n'), ['audio-muted'], undefined],
    ['no default output device (E_NOTFOUND)', ok('BAYALERT-AUDIO no-device\r\n'), ['no-audio-output'], undefined],
    ['a failing HRESULT', ok('BAYALERT-AUDIO error Activate 0x80070005\r\n'), [], 'Core Audio Activate returned HRESULT 0x80070005'],
    ['PowerShell missing', missing, [], 'PowerShell is not installed'],
    ['PowerShell timed out', timeout, [], 'PowerShell did not answer within 3000 ms'],
    ['PowerShell could not start', crashed, [], 'PowerShell could not run (spawn EACCES)'],
    ['Add-Type refused (Constrained Language Mode)', failed('Add-Type : Cannot add type. Definition of new types is not supported in this language mode.'), [], 'PowerShell failed (Add-Type : Cannot add type. Definition of new types is not supported in this language mode.)'],
    ['exit code only', failed('', 1), [], 'PowerShell failed (exit 1)'],
  ])('%s', async (_name, answer, expected, unknown) => {
    const r = await windowsAudioDetector.detect(windowsOs(answer))
    expect(ids(r)).toEqual(expected)
    expect(r.unknown).toBe(unknown)
  })

  it('muted and zero volume say which, and what to do', async () => {
    const muted = await windowsAudioDetector.detect(windowsOs(ok('BAYALERT-AUDIO muted=1 volume=0.000')))
    expect(muted.findings).toEqual([{ id: 'audio-muted', affects: 'sound', reason: expect.stringMatching(/^The Windows sound output is muted: .*speaker icon/) }])
    const zero = await windowsAudioDetector.detect(windowsOs(ok('BAYALERT-AUDIO muted=0 volume=0.000')))
    expect(zero.findings).toEqual([{ id: 'audio-muted', affects: 'sound', reason: expect.stringMatching(/^The Windows sound output is at zero volume: .*turn it up/) }])
    const none = await windowsAudioDetector.detect(windowsOs(ok('BAYALERT-AUDIO no-device')))
    expect(none.findings).toEqual([{ id: 'no-audio-output', affects: 'sound', reason: expect.stringMatching(/^Windows has no sound output device: alert sounds cannot play/) }])
  })

  it.each([
    ['empty', ''],
    ['a PowerShell error on stdout', 'Add-Type : c:\\Temp\\x.cs(3) : error CS0246'],
    ['two answers', 'BAYALERT-AUDIO muted=0 volume=0.500\nBAYALERT-AUDIO muted=1 volume=0.500'],
    ['an answer after other output', 'WARNING: something\nBAYALERT-AUDIO muted=0 volume=0.500'],
    ['mute not 0 or 1', 'BAYALERT-AUDIO muted=true volume=0.500'],
    ['volume above 1', 'BAYALERT-AUDIO muted=0 volume=1.500'],
    ['volume in another precision', 'BAYALERT-AUDIO muted=0 volume=0.5'],
    ['volume in a comma locale', 'BAYALERT-AUDIO muted=0 volume=0,500'],
    ['negative volume', 'BAYALERT-AUDIO muted=0 volume=-0.100'],
    ['lower-case HRESULT', 'BAYALERT-AUDIO error GetMute 0x8007000e'],
    ['another marker', 'BAYALERT-AUDI0 no-device'],
    ['words before the marker', 'echo BAYALERT-AUDIO no-device'],
    ['two answers on Unix line ends', 'BAYALERT-AUDIO no-device\nBAYALERT-AUDIO no-device'],
    ['trailing words', 'BAYALERT-AUDIO no-device please'],
  ])('garbage is "could not tell", never a finding: %s', (_name, stdout) => {
    const r = parseCoreAudio(stdout)
    expect(r.findings).toEqual([])
    expect(r.unknown).toMatch(/^unreadable Core Audio answer \(/)
  })

  it('names what it could not read, cut to one short line', () => {
    expect(parseCoreAudio('').unknown).toBe('unreadable Core Audio answer (nothing)')
    expect(parseCoreAudio(`${'x'.repeat(100)}\nsecond`).unknown).toBe(`unreadable Core Audio answer (${'x'.repeat(59)}…)`)
  })

  it('one hidden, non-interactive PowerShell call, with a timeout inside the probe’s deadline, running the Core Audio script', async () => {
    const os = windowsOs(ok('BAYALERT-AUDIO muted=0 volume=0.500'))
    await windowsAudioDetector.detect(os)
    expect(os.seen).toHaveLength(1)
    const [call] = os.seen
    expect(call!.command).toBe('powershell.exe')
    expect(call!.args.slice(0, 5)).toEqual(['-NoProfile', '-NonInteractive', '-NoLogo', '-WindowStyle', 'Hidden'])
    expect(call!.args[5]).toBe('-EncodedCommand')
    expect(call!.timeoutMs).toBe(CORE_AUDIO_TIMEOUT_MS)
    expect(CORE_AUDIO_TIMEOUT_MS).toBeLessThan(DEFAULT_DETECTOR_DEADLINE_MS)
    // -EncodedCommand is base64 of the UTF-16LE script: decoded, it is the script exactly.
    expect(Buffer.from(call!.args[6]!, 'base64').toString('utf16le')).toBe(CORE_AUDIO_SCRIPT)
    expect(CORE_AUDIO_ARGS).toEqual(call!.args)
  })

  it('the script asks the default render endpoint for the multimedia role, then its mute and scalar volume', () => {
    expect(CORE_AUDIO_SCRIPT).toMatch(/^\$ErrorActionPreference = 'Stop'\nAdd-Type -TypeDefinition @'\n/)
    expect(CORE_AUDIO_SCRIPT).toMatch(/\n'@\n\[BayAlert\.CoreAudioProbe\]::Run\(\)\n$/)
    expect(CORE_AUDIO_SCRIPT).toContain('GetDefaultAudioEndpoint(eRender, eMultimedia, out device)')
    expect(CORE_AUDIO_SCRIPT).toContain('const int eRender = 0, eMultimedia = 1')
    expect(CORE_AUDIO_SCRIPT).toContain('E_NOTFOUND = unchecked((int)0x80070490)')
    // The documented interface ids (mmdeviceapi.h, endpointvolume.h) and the enumerator's class id.
    for (const guid of ['5CDF2C82-841E-4546-9722-0CF74078229A', 'D666063F-1587-4E43-81F1-B948E807363F', 'A95664D2-9614-4F35-A746-DE8DB63617E6', 'BCDE0395-E52F-467C-8E3D-C4579291692E']) {
      expect(CORE_AUDIO_SCRIPT).toContain(guid)
    }
    // COM calls by vtable slot: GetMute is IAudioEndpointVolume's 13th method, GetMasterVolumeLevelScalar its 7th.
    const methods = [...CORE_AUDIO_SCRIPT.split('interface IAudioEndpointVolume {')[1]!.split('}')[0]!.matchAll(/int (\w+)\(/g)].map((m) => m[1])
    expect(methods.indexOf('GetMasterVolumeLevelScalar')).toBe(6)
    expect(methods.indexOf('GetMute')).toBe(12)
  })
})
