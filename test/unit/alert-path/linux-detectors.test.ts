// Linux detectors, each against every answer its command can give: the real answer (both tools' notation),
// "no such service", no session bus, not installed, timeout, a crash and garbage. A "could not tell" is an
// unknown with the cause — never a finding, never silence.
import { describe, expect, it } from 'vitest'
import { audioDetector } from '../../../src/core/alert-path/linux/audio.js'
import { classifyDbus, parseDbusBool } from '../../../src/core/alert-path/linux/dbus.js'
import { notificationDaemonDetector } from '../../../src/core/alert-path/linux/notification-daemon.js'
import { dunstPausedDetector, gnomeBannersDetector, inhibitedDetector } from '../../../src/core/alert-path/linux/notification-dnd.js'
import { statusNotifierDetector } from '../../../src/core/alert-path/linux/status-notifier.js'
import { crashed, failed, fakeOs, missing, ok, timeout } from './fake-os.js'

const ids = (r: { findings: { id: string }[] }) => r.findings.map((f) => f.id)
const SERVICE_UNKNOWN = 'Error: GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.Notifications was not provided by any .service files'
const NO_BUS = 'Error connecting: Cannot autolaunch D-Bus without X11 $DISPLAY'

describe('D-Bus answers', () => {
  it('reads booleans in gdbus and dbus-send notation and nothing else', () => {
    expect(parseDbusBool('(<true>,)\n')).toBe(true)
    expect(parseDbusBool('(<false>,)')).toBe(false)
    expect(parseDbusBool('method return time=1 sender=:1.2\n   variant       boolean true\n')).toBe(true)
    expect(parseDbusBool('   variant       boolean false')).toBe(false)
    for (const g of ['', 'true', '(<1>,)', '(<"true">,)', 'variant string "true"']) expect(parseDbusBool(g)).toBeNull()
  })
  it('classifies failures: no owner, no bus, unsupported, anything else is unknown with the first line', () => {
    expect(classifyDbus('gdbus', failed(SERVICE_UNKNOWN)).kind).toBe('no-service')
    expect(classifyDbus('gdbus', failed('Error org.freedesktop.DBus.Error.NameHasNoOwner: x')).kind).toBe('no-service')
    expect(classifyDbus('gdbus', failed(NO_BUS)).kind).toBe('no-bus')
    expect(classifyDbus('gdbus', failed('GDBus.Error:org.freedesktop.DBus.Error.UnknownProperty: no')).kind).toBe('unsupported')
    expect(classifyDbus('gdbus', failed('weird\nsecond line'))).toEqual({ kind: 'unknown', why: 'gdbus failed (weird)' })
    expect(classifyDbus('gdbus', ok('(true,)'))).toEqual({ kind: 'reply', text: '(true,)' })
  })
  it.each([
    ['gdbus, no socket', 'Error connecting: Could not connect: No such file or directory', 'no-bus'],
    ['dbus-send, no X11', 'Failed to open connection to "session" message bus: Unable to autolaunch a dbus-daemon without a $DISPLAY for X11', 'no-bus'],
    ['no address at all', 'DBUS_SESSION_BUS_ADDRESS is not set', 'no-bus'],
    ['dbus-send, nobody owns it', 'Error org.freedesktop.DBus.Error.ServiceUnknown: The name org.kde.StatusNotifierWatcher was not provided by any .service files', 'no-service'],
    ['gdbus, name without owner', 'GDBus.Error:org.freedesktop.DBus.Error.NameHasNoOwner: Could not get owner', 'no-service'],
    ['no such interface', 'GDBus.Error:org.freedesktop.DBus.Error.UnknownInterface: No such interface “org.kde.StatusNotifierWatcher”', 'unsupported'],
    ['no such method', 'Error org.freedesktop.DBus.Error.UnknownMethod: no', 'unsupported'],
    ['bad arguments', 'GDBus.Error:org.freedesktop.DBus.Error.InvalidArgs: No such property “Inhibited”', 'unsupported'],
  ])('classifies the real error "%s"', (_n, stderr, kind) => {
    const a = classifyDbus('dbus-send', failed(stderr))
    expect(a.kind).toBe(kind)
    if (a.kind !== 'reply' && a.kind !== 'unknown') expect(a.detail).toBe(stderr)
    expect(classifyDbus('gdbus', failed('', 7))).toEqual({ kind: 'unknown', why: 'gdbus failed (exit 7)' })
    expect(classifyDbus('gdbus', timeout)).toEqual({ kind: 'unknown', why: 'gdbus did not answer within 3000 ms' })
    expect(classifyDbus('gdbus', crashed)).toEqual({ kind: 'unknown', why: 'gdbus could not run (spawn EACCES)' })
  })
})

describe('the D-Bus questions, word for word', async () => {
  const { callMethod, getProperty } = await import('../../../src/core/alert-path/linux/dbus.js')
  const T = { dest: 'org.example.Dest', path: '/org/example/Path' }
  it('a method call: gdbus first, dbus-send when gdbus is missing', async () => {
    const g = fakeOs({ gdbus: ok('()') })
    expect(await callMethod(g, T, 'org.example.Iface.Method')).toEqual({ kind: 'reply', text: '()' })
    expect(g.calls).toEqual(['gdbus call --session --dest org.example.Dest --object-path /org/example/Path --method org.example.Iface.Method'])
    const d = fakeOs({ 'dbus-send': ok('method return') })
    expect(await callMethod(d, T, 'org.example.Iface.Method')).toEqual({ kind: 'reply', text: 'method return' })
    expect(d.calls[1]).toBe('dbus-send --session --print-reply --dest=org.example.Dest /org/example/Path org.example.Iface.Method')
  })
  it('a property: org.freedesktop.DBus.Properties.Get with the interface and the name, in either tool', async () => {
    const g = fakeOs({ gdbus: ok('(<true>,)') })
    expect(await getProperty(g, T, 'org.example.Iface', 'Prop')).toEqual({ kind: 'reply', text: '(<true>,)' })
    expect(g.calls).toEqual(['gdbus call --session --dest org.example.Dest --object-path /org/example/Path --method org.freedesktop.DBus.Properties.Get org.example.Iface Prop'])
    const d = fakeOs({ 'dbus-send': failed('Error org.freedesktop.DBus.Error.ServiceUnknown: x') })
    expect(await getProperty(d, T, 'org.example.Iface', 'Prop')).toEqual({ kind: 'no-service', detail: 'Error org.freedesktop.DBus.Error.ServiceUnknown: x' })
    expect(d.calls[1]).toBe('dbus-send --session --print-reply --dest=org.example.Dest /org/example/Path org.freedesktop.DBus.Properties.Get string:org.example.Iface string:Prop')
    expect(await getProperty(fakeOs({}), T, 'i', 'p')).toEqual({ kind: 'unknown', why: 'neither gdbus nor dbus-send is installed' })
    expect(await getProperty(fakeOs({ 'dbus-send': timeout }), T, 'i', 'p')).toEqual({ kind: 'unknown', why: 'dbus-send did not answer within 3000 ms' })
  })
})

describe('notification daemon', () => {
  it('a daemon that names itself is fine (gdbus)', async () => {
    expect(await notificationDaemonDetector.detect(fakeOs({ gdbus: ok("('dunst', 'knopwob', '1.9.0', '1.2')\n") }))).toEqual({ findings: [] })
  })
  it('falls back to dbus-send when gdbus is not installed', async () => {
    const os = fakeOs({ 'dbus-send': ok('method return\n   string "gnome-shell"\n   string "GNOME"\n') })
    expect(await notificationDaemonDetector.detect(os)).toEqual({ findings: [] })
    expect(os.calls.map((c) => c.split(' ')[0])).toEqual(['gdbus', 'dbus-send'])
  })
  it('nobody owns the name: no-notification-daemon, which swallows notifications', async () => {
    const r = await notificationDaemonDetector.detect(fakeOs({ gdbus: failed(SERVICE_UNKNOWN) }))
    expect(r.findings).toEqual([expect.objectContaining({ id: 'no-notification-daemon', affects: 'notifications' })])
    expect(r.unknown).toBeUndefined()
  })
  it('no session bus is also no daemon, and says why', async () => {
    const r = await notificationDaemonDetector.detect(fakeOs({ gdbus: failed(NO_BUS) }))
    expect(ids(r)).toEqual(['no-notification-daemon'])
    expect(r.findings[0]!.reason).toContain('Cannot autolaunch')
  })
  it.each([
    ['neither tool installed', {}, 'neither gdbus nor dbus-send is installed'],
    ['timeout', { gdbus: timeout }, 'gdbus did not answer within 3000 ms'],
    ['crash', { gdbus: crashed }, 'gdbus could not run (spawn EACCES)'],
    ['garbage', { gdbus: ok('()') }, 'the notification daemon answered something unreadable'],
    ['no such method', { gdbus: failed('org.freedesktop.DBus.Error.UnknownMethod: nope') }, 'the notification daemon does not answer GetServerInformation (org.freedesktop.DBus.Error.UnknownMethod: nope)'],
  ])('%s: unknown, no finding', async (_n, script, why) => {
    expect(await notificationDaemonDetector.detect(fakeOs(script))).toEqual({ findings: [], unknown: why })
  })
})

describe('Do Not Disturb: the daemon’s Inhibited property', () => {
  it.each([
    ['(<true>,)', ['do-not-disturb']],
    ['(<false>,)', []],
  ])('%s', async (answer, expected) => {
    const os = fakeOs({ gdbus: ok(answer) })
    expect(ids(await inhibitedDetector.detect(os))).toEqual(expected)
    expect(os.calls[0]).toContain('org.freedesktop.DBus.Properties.Get org.freedesktop.Notifications Inhibited')
  })
  it('no daemon, no bus or a daemon without the property: nothing to say here', async () => {
    for (const e of [SERVICE_UNKNOWN, NO_BUS, 'org.freedesktop.DBus.Error.InvalidArgs: No such property “Inhibited”']) {
      expect(await inhibitedDetector.detect(fakeOs({ gdbus: failed(e) }))).toEqual({ findings: [] })
    }
  })
  it('garbage and timeouts are unknown', async () => {
    expect((await inhibitedDetector.detect(fakeOs({ gdbus: ok('(<2>,)') }))).unknown).toMatch(/unreadable Inhibited answer/)
    expect((await inhibitedDetector.detect(fakeOs({ gdbus: timeout }))).unknown).toBe('gdbus did not answer within 3000 ms')
  })
})

describe('Do Not Disturb: GNOME show-banners', () => {
  it.each([
    [ok('false\n'), ['do-not-disturb'], undefined],
    [ok('true\n'), [], undefined],
    [missing, [], undefined],
    [failed('No such schema “org.gnome.desktop.notifications”'), [], undefined],
    [failed('dconf: permission denied'), [], 'gsettings failed (dconf: permission denied)'],
    [timeout, [], 'gsettings did not answer within 3000 ms'],
    [crashed, [], 'gsettings could not run (spawn EACCES)'],
    [ok("'maybe'"), [], "unreadable show-banners value ('maybe')"],
  ])('%o', async (answer, expected, unknown) => {
    const r = await gnomeBannersDetector.detect(fakeOs({ gsettings: answer }))
    expect(ids(r)).toEqual(expected)
    expect(r.unknown).toBe(unknown)
  })
  it('names GNOME in the reason and says what happens instead', async () => {
    const r = await gnomeBannersDetector.detect(fakeOs({ gsettings: ok('false') }))
    expect(r.findings[0]!.reason).toBe('Do Not Disturb is on (GNOME): alerts show no pop-up — the queue window is brought to the front instead.')
  })
})

describe('Do Not Disturb: dunst paused', () => {
  it.each([
    [ok('true\n'), ['do-not-disturb'], undefined],
    [ok('false\n'), [], undefined],
    [missing, [], undefined],
    [failed('Failed to connect'), [], undefined],
    [timeout, [], 'dunstctl did not answer within 3000 ms'],
    [crashed, [], 'dunstctl could not run (spawn EACCES)'],
    [ok('yes'), [], 'unreadable dunstctl answer (yes)'],
  ])('%o', async (answer, expected, unknown) => {
    const r = await dunstPausedDetector.detect(fakeOs({ dunstctl: answer }))
    expect(ids(r)).toEqual(expected)
    expect(r.unknown).toBe(unknown)
  })
})

describe('audio output', () => {
  it.each([
    ['pactl unmuted', { pactl: ok('Mute: no\n') }, [], undefined],
    ['pactl muted', { pactl: ok('Mute: yes\n') }, ['audio-muted'], undefined],
    ['pactl without a sink', { pactl: failed('Failure: No such entity') }, ['no-audio-output'], undefined],
    ['pactl, sink gone', { pactl: failed('No such sink') }, ['no-audio-output'], undefined],
    ['pactl, sink unreadable', { pactl: failed('Failed to get sink information') }, ['no-audio-output'], undefined],
    ['pactl, other failure without text', { pactl: failed('', 2) }, [], 'pactl failed (exit 2)'],
    ['pactl answers about more than mute', { pactl: ok('Sink #0\nMute: yes\n') }, ['audio-muted'], undefined],
    ['pactl, no server', { pactl: failed('Connection failure: Connection refused') }, [], 'pactl failed (Connection failure: Connection refused)'],
    ['pactl garbage', { pactl: ok('Stummschaltung: ja') }, [], 'unreadable pactl answer (Stummschaltung: ja)'],
    ['pactl timeout', { pactl: timeout }, [], 'pactl did not answer within 3000 ms'],
    ['pactl crash', { pactl: crashed }, [], 'pactl could not run (spawn EACCES)'],
    ['wpctl audible', { wpctl: ok('Volume: 0.40\n') }, [], undefined],
    ['wpctl muted', { wpctl: ok('Volume: 0.40 [MUTED]\n') }, ['audio-muted'], undefined],
    ['wpctl at zero', { wpctl: ok('Volume: 0.00\n') }, ['audio-muted'], undefined],
    ['wpctl just above zero', { wpctl: ok('Volume: 0.01\n') }, [], undefined],
    ['wpctl without a sink', { wpctl: failed("Translate ID error: '@DEFAULT_AUDIO_SINK@' is not a valid ID") }, ['no-audio-output'], undefined],
    ['wpctl, object not found', { wpctl: failed('', 1, 'Object not found') }, ['no-audio-output'], undefined],
    ['wpctl, other failure without text', { wpctl: failed('', 3) }, [], 'wpctl failed (exit 3)'],
    ['wpctl crash', { wpctl: crashed }, [], 'wpctl could not run (spawn EACCES)'],
    ['wpctl at full volume', { wpctl: ok('Volume: 1.00\n') }, [], undefined],
    ['wpctl other failure', { wpctl: failed('boom') }, [], 'wpctl failed (boom)'],
    ['wpctl garbage', { wpctl: ok('Volume: loud') }, [], 'unreadable wpctl answer (Volume: loud)'],
    ['wpctl timeout', { wpctl: timeout }, [], 'wpctl did not answer within 3000 ms'],
    ['neither installed', {}, [], 'neither pactl nor wpctl is installed'],
  ])('%s', async (_n, script, expected, unknown) => {
    const r = await audioDetector.detect(fakeOs(script))
    expect(ids(r)).toEqual(expected)
    expect(r.unknown).toBe(unknown)
    for (const f of r.findings) expect(f.affects).toBe('sound')
  })
  it('asks pactl about the default sink, and wpctl only when pactl is missing', async () => {
    const os = fakeOs({ pactl: ok('Mute: no') })
    await audioDetector.detect(os)
    expect(os.calls).toEqual(['pactl get-sink-mute @DEFAULT_SINK@'])
    const w = fakeOs({ wpctl: ok('Volume: 0.50') })
    await audioDetector.detect(w)
    expect(w.calls).toEqual(['pactl get-sink-mute @DEFAULT_SINK@', 'wpctl get-volume @DEFAULT_AUDIO_SINK@'])
  })
  it.each([
    ['Mute:yes', ['audio-muted'], undefined],
    ['Mute:   no   ', [], undefined],
    ['XMute: yes', [], 'unreadable pactl answer (XMute: yes)'],
    ['Mute: yes please', [], 'unreadable pactl answer (Mute: yes please)'],
    ['Mute: yesx', [], 'unreadable pactl answer (Mute: yesx)'],
  ])('pactl answer %j is read strictly', async (answer, expected, unknown) => {
    const r = await audioDetector.detect(fakeOs({ pactl: ok(answer) }))
    expect([r.findings.map((f) => f.id), r.unknown]).toEqual([expected, unknown])
  })
  it.each([
    ['Volume:0.40', [], undefined],
    ['Volume: 12.5', [], undefined],
    ['Volume: 1', [], undefined],
    ['Volume: 0', ['audio-muted'], undefined],
    ['Volume: 0.40[MUTED]', ['audio-muted'], undefined],
    ['Volume: 0.40   [MUTED]  ', ['audio-muted'], undefined],
    ['XVolume: 0.40', [], 'unreadable wpctl answer (XVolume: 0.40)'],
    ['Volume: 0.40 [MUTED] x', [], 'unreadable wpctl answer (Volume: 0.40 [MUTED] x)'],
    ['Volume: 0.40x', [], 'unreadable wpctl answer (Volume: 0.40x)'],
    ['Volume: 0.', [], 'unreadable wpctl answer (Volume: 0.)'],
  ])('wpctl answer %j is read strictly', async (answer, expected, unknown) => {
    const r = await audioDetector.detect(fakeOs({ wpctl: ok(answer) }))
    expect([r.findings.map((f) => f.id), r.unknown]).toEqual([expected, unknown])
  })
  it('each sound finding says what it means for alerts', async () => {
    expect((await audioDetector.detect(fakeOs({ pactl: ok('Mute: yes') }))).findings[0]!.reason).toMatch(/muted.*alert sounds are silent/)
    expect((await audioDetector.detect(fakeOs({ pactl: failed('No such entity') }))).findings[0]!.reason).toMatch(/No sound output device.*cannot play/)
  })
})

describe('tray host (StatusNotifier watcher)', () => {
  it.each([
    ['a host is registered', { gdbus: ok('(<true>,)') }, [], undefined],
    ['watcher without a host', { gdbus: ok('(<false>,)') }, ['no-tray-host'], undefined],
    ['no watcher (vanilla GNOME)', { gdbus: failed('GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name org.kde.StatusNotifierWatcher was not provided') }, ['no-tray-host'], undefined],
    ['no bus', { gdbus: failed(NO_BUS) }, [], `no desktop session bus (${NO_BUS})`],
    ['unsupported', { gdbus: failed('UnknownProperty: x') }, [], 'the tray watcher does not answer IsStatusNotifierHostRegistered (UnknownProperty: x)'],
    ['garbage', { gdbus: ok('(<"yes">,)') }, [], 'unreadable tray watcher answer ((<"yes">,))'],
    ['timeout', { gdbus: timeout }, [], 'gdbus did not answer within 3000 ms'],
    ['not installed', {}, [], 'neither gdbus nor dbus-send is installed'],
  ])('%s', async (_n, script, expected, unknown) => {
    const r = await statusNotifierDetector.detect(fakeOs(script))
    expect(ids(r)).toEqual(expected)
    expect(r.unknown).toBe(unknown)
  })
  it('the reason says the icon is invisible and what to do on GNOME', async () => {
    const r = await statusNotifierDetector.detect(fakeOs({ gdbus: ok('(<false>,)') }))
    expect(r.findings[0]).toMatchObject({ affects: 'tray' })
    expect(r.findings[0]!.reason).toMatch(/invisible.*AppIndicator/)
  })
})
