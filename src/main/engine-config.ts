// The engine's configuration in the Electron host, from the settings in effect and the administrator's
// provisioning file. Pure, so the precedence is tested without Electron: BAYALERT_WORKSTATION_ID and
// BAYALERT_DATA_DIR from the environment first, then the provisioned workstation name and repeat interval,
// then the built-in defaults (the host name; the engine's own repeat interval).
import type { EngineConfig } from '../core/engine-api.js'
import { parseJoinBudget } from '../core/link/join-window.js'
import { escalationFromEnv } from '../core/escalation-config.js'
import type { ProvisionedValues } from './provisioning.js'
import type { LoadedSettings } from './settings.js'

export interface EngineConfigInputs {
  loaded: LoadedSettings
  provisioned: ProvisionedValues
  env: NodeJS.ProcessEnv
  defaultDataDir: string
  hostName: string
  appVersion: string
  /** The mechanic's repeat interval (alert preferences, which already default to the provisioned one). */
  repeatIntervalSec?: number
  /** The mechanic's amber/red thresholds (alert preferences): repeats come sooner as a wait grows. */
  urgency?: { amberAfterMs: number; redAfterMs: number }
  /** The better-sqlite3 build for Electron's ABI (native-binding.ts); undefined: its own build. */
  sqliteNativeBinding?: string
}

/** null while no usable shop URL and key are configured (the window then shows first run / settings). */
export function engineConfigFor(i: EngineConfigInputs): EngineConfig | null {
  if (!i.loaded.configured) return null
  const config: EngineConfig = {
    supabaseUrl: i.loaded.settings.supabaseUrl,
    anonKey: i.loaded.settings.anonKey,
    dataDir: i.env.BAYALERT_DATA_DIR || i.defaultDataDir,
    workstationId: i.env.BAYALERT_WORKSTATION_ID || i.provisioned.workstationName || i.hostName,
    appVersion: i.appVersion,
  }
  // A bad value falls back to the default here; index.ts logs the problem once at start.
  if (i.env.BAYALERT_JOIN_BUDGET !== undefined) config.joinBudgetPerSec = parseJoinBudget(i.env.BAYALERT_JOIN_BUDGET).budget
  Object.assign(config, escalationFromEnv(i.env).config)
  if (i.sqliteNativeBinding !== undefined) config.sqliteNativeBinding = i.sqliteNativeBinding
  if (i.urgency !== undefined) config.urgency = i.urgency
  if (i.repeatIntervalSec !== undefined) config.repeatIntervalMs = i.repeatIntervalSec * 1000
  else if (i.provisioned.repeatIntervalSeconds !== undefined) config.repeatIntervalMs = i.provisioned.repeatIntervalSeconds * 1000
  return config
}

/** What identifies a running engine: a change of any of these needs a new engine. */
export function engineConfigKey(config: EngineConfig | null): string {
  return config
    ? JSON.stringify([config.supabaseUrl, config.anonKey, config.dataDir, config.workstationId, config.repeatIntervalMs ?? null, config.joinBudgetPerSec ?? null, config.urgency ?? null, config.escalateAfterMs ?? null, config.escalateBelowLive ?? null, config.escalatedRepeatMs ?? null, config.outageAlertAfterMs ?? null])
    : ''
}
