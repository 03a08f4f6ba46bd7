// First run of an installed app: which step the queue window opens on, the start-at-login default, and the
// doctor-like checks shown at the end. Pure decisions; first-run-service.ts gathers the facts.
//
// The development path (`npm start` unpackaged, with the demo shop's SUPABASE_URL in the environment) never
// shows first run: that is the demo, and the demo backend exists only on that path, never in a package.
import type { Check, FirstRunStep, UpdateStatus } from '../shared/ipc.js'
import type { EngineSnapshot } from '../shared/types.js'

export interface FirstRunFacts {
  isPackaged: boolean
  /** SUPABASE_URL came from the environment (the dev/demo path, or a test harness). */
  envConfigured: boolean
  /** First run was completed on this workstation before. */
  done: boolean
  /** A usable shop URL and key are in effect (saved, provisioned or from the environment). */
  configured: boolean
  signedIn: boolean
}

/** The step the window opens on, or null for no first-run panel. */
export function firstRunStep(f: FirstRunFacts): FirstRunStep | null {
  if (!f.isPackaged && f.envConfigured) return null
  if (!f.configured) return 'connect'
  if (f.done) return null
  // A provisioned workstation is connected already: it starts at signing in.
  return f.signedIn ? 'test-alert' : 'sign-in'
}

/** Start at login is on unless the administrator's provisioning file says otherwise. */
export function startAtLoginDefault(provisioned: boolean | undefined): boolean {
  return provisioned ?? true
}

export interface CheckFacts {
  configured: boolean
  supabaseUrl: string
  keyKind: 'anon-jwt' | 'publishable' | 'none'
  snapshot: EngineSnapshot
  soundEnabled: boolean
  /** The mechanic's answer after the test alert: heard it, did not, or was not asked. */
  soundHeard: boolean | null
  notificationsSupported: boolean
  secretStorage: { protected: boolean; message: string | null }
  loginItem: { supported: boolean; enabled: boolean }
  update: UpdateStatus
}

export function firstRunChecks(f: CheckFacts): Check[] {
  const s = f.snapshot
  const checks: Check[] = []
  checks.push(
    f.configured
      ? { name: 'shop', status: 'ok', detail: `${f.supabaseUrl} with ${f.keyKind === 'publishable' ? 'a publishable key' : 'an anon key'}` }
      : { name: 'shop', status: 'fail', detail: 'No shop configured: enter the URL and anon key, or paste a connection string.' },
  )
  checks.push(s.user ? { name: 'sign-in', status: 'ok', detail: `Signed in as ${s.user}` } : { name: 'sign-in', status: 'fail', detail: 'Not signed in: sign in as a mechanic.' })
  const link = s.link
  checks.push(
    link.state === 'live'
      ? { name: 'realtime', status: 'ok', detail: link.reason }
      : { name: 'realtime', status: link.state === 'connecting' ? 'warn' : 'fail', detail: `${link.state}: ${link.reason}` },
  )
  checks.push(
    !s.flags.mech_new_request_alerts
      ? { name: 'alerts', status: 'fail', detail: 'The shop has switched new-request alerts off (feature flag mech_new_request_alerts).' }
      : s.paused !== null
        ? { name: 'alerts', status: 'warn', detail: 'Alerts are paused on this workstation.' }
        : { name: 'alerts', status: 'ok', detail: 'New-request alerts are on.' },
  )
  checks.push(soundCheck(f))
  checks.push(
    f.notificationsSupported
      ? { name: 'notifications', status: 'ok', detail: 'Desktop notifications are available.' }
      : { name: 'notifications', status: 'fail', detail: 'This system does not support desktop notifications; only sound, tray and window will alert.' },
  )
  checks.push(
    f.secretStorage.protected
      ? { name: 'sign-in storage', status: 'ok', detail: 'The sign-in is kept encrypted by the system keyring.' }
      : { name: 'sign-in storage', status: 'warn', detail: f.secretStorage.message ?? 'The sign-in is not protected by a keyring.' },
  )
  checks.push(
    !f.loginItem.supported
      ? { name: 'start at login', status: 'warn', detail: 'Not available in a development build.' }
      : f.loginItem.enabled
        ? { name: 'start at login', status: 'ok', detail: 'BayAlert starts when you log in.' }
        : { name: 'start at login', status: 'warn', detail: 'Off: after a restart BayAlert does not ring until someone starts it.' },
  )
  checks.push({ name: 'updates', status: f.update.phase === 'off' || f.update.phase === 'error' ? 'warn' : 'ok', detail: f.update.text })
  return checks
}

function soundCheck(f: CheckFacts): Check {
  if (!f.soundEnabled) return { name: 'sound', status: 'warn', detail: 'Sound is off in the settings: alerts will be silent.' }
  if (!f.snapshot.flags.mech_audio_alerts) return { name: 'sound', status: 'warn', detail: 'The shop has switched audio alerts off (feature flag mech_audio_alerts).' }
  if (f.soundHeard === true) return { name: 'sound', status: 'ok', detail: 'You heard the test alert.' }
  if (f.soundHeard === false) {
    return { name: 'sound', status: 'fail', detail: 'You did not hear the test alert: check the volume, the mute switch and the output device, then test again.' }
  }
  return { name: 'sound', status: 'warn', detail: 'The test alert was not confirmed.' }
}
