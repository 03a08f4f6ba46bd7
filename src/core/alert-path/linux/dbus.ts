// One D-Bus question on the session bus, through `gdbus` (GLib, on every GNOME-ish system) or, where that is
// missing, `dbus-send` (dbus itself). Both answer as text; this turns the answer into one of four outcomes
// a detector can act on. The error names are the D-Bus specification's
// (https://dbus.freedesktop.org/doc/dbus-specification.html#message-bus-messages): ServiceUnknown and
// NameHasNoOwner mean nobody owns the name (no daemon, no tray host).
import { firstLine, notAnswered, type CommandResult, type OsQuery } from '../types.js'

export type DbusAnswer =
  | { kind: 'reply'; text: string }
  /** Nobody owns the bus name. */
  | { kind: 'no-service'; detail: string }
  /** No session bus to ask at all (a headless box, ssh without a session). */
  | { kind: 'no-bus'; detail: string }
  /** Asked, but the object has no such method or property. */
  | { kind: 'unsupported'; detail: string }
  | { kind: 'unknown'; why: string }

export interface DbusTarget {
  dest: string
  path: string
}

const NO_SERVICE = /ServiceUnknown|NameHasNoOwner|was not provided by any \.service files/
const NO_BUS = /Cannot autolaunch|Could not connect|Failed to open connection|DBUS_SESSION_BUS_ADDRESS|Unable to autolaunch/i
const UNSUPPORTED = /UnknownMethod|UnknownProperty|UnknownInterface|InvalidArgs|No such interface|No such property/

export function classifyDbus(command: string, r: CommandResult): DbusAnswer {
  const not = notAnswered(command, r)
  if (not) return { kind: 'unknown', why: not }
  if (r.kind === 'ok') return { kind: 'reply', text: r.stdout }
  if (r.kind !== 'failed') return { kind: 'unknown', why: `${command} gave no answer` }
  const err = `${r.stderr}\n${r.stdout}`
  if (NO_SERVICE.test(err)) return { kind: 'no-service', detail: firstLine(r.stderr) }
  if (NO_BUS.test(err)) return { kind: 'no-bus', detail: firstLine(r.stderr) }
  if (UNSUPPORTED.test(err)) return { kind: 'unsupported', detail: firstLine(r.stderr) }
  return { kind: 'unknown', why: `${command} failed (${firstLine(r.stderr) || `exit ${r.code}`})` }
}

/** Calls a method with no arguments. */
export async function callMethod(os: OsQuery, t: DbusTarget, method: string): Promise<DbusAnswer> {
  const g = await os.run('gdbus', ['call', '--session', '--dest', t.dest, '--object-path', t.path, '--method', method])
  if (g.kind !== 'missing') return classifyDbus('gdbus', g)
  const d = await os.run('dbus-send', ['--session', '--print-reply', `--dest=${t.dest}`, t.path, method])
  if (d.kind === 'missing') return { kind: 'unknown', why: 'neither gdbus nor dbus-send is installed' }
  return classifyDbus('dbus-send', d)
}

/** Reads one property (org.freedesktop.DBus.Properties.Get). */
export async function getProperty(os: OsQuery, t: DbusTarget, iface: string, prop: string): Promise<DbusAnswer> {
  const g = await os.run('gdbus', ['call', '--session', '--dest', t.dest, '--object-path', t.path, '--method', 'org.freedesktop.DBus.Properties.Get', iface, prop])
  if (g.kind !== 'missing') return classifyDbus('gdbus', g)
  const d = await os.run('dbus-send', ['--session', '--print-reply', `--dest=${t.dest}`, t.path, 'org.freedesktop.DBus.Properties.Get', `string:${iface}`, `string:${prop}`])
  if (d.kind === 'missing') return { kind: 'unknown', why: 'neither gdbus nor dbus-send is installed' }
  return classifyDbus('dbus-send', d)
}

/**
 * A boolean reply in either tool's notation — gdbus `(<true>,)`, dbus-send `variant boolean true` — or null
 * for anything else (garbage is "could not tell", never a guess).
 */
export function parseDbusBool(text: string): boolean | null {
  const t = text.trim()
  if (/^\(<(true|false)>,\)$/.test(t)) return t.includes('true')
  const m = /variant\s+boolean\s+(true|false)\s*$/.exec(t)
  return m ? m[1] === 'true' : null
}
