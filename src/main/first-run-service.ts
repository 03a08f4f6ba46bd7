// First run in the Electron host: gathers the facts for first-run.ts, plays the test alert through the real
// sound sink, applies the start-at-login choice, remembers that first run is done, and runs the checks.
import { classifyKey } from '../core/config.js'
import type { Alert, AlertSink, Logger } from '../core/ports.js'
import type { Check, FirstRunChoices, FirstRunState, SettingsView, TestAlertResult, UpdateStatus } from '../shared/ipc.js'
import type { EngineSnapshot } from '../shared/types.js'
import { firstRunChecks, firstRunStep, startAtLoginDefault } from './first-run.js'
import type { KeyValueStore, SettingsService } from './settings.js'

const DONE_KEY = 'firstRun'

export interface FirstRunDeps {
  kv: KeyValueStore
  settings: SettingsService
  snapshot: () => EngineSnapshot
  onSnapshot: (listener: (s: EngineSnapshot) => void) => () => void
  /** The same SoundSink the engine alerts through. */
  sound: AlertSink
  notificationsSupported: () => boolean
  secretStorage: () => Promise<SettingsView['secretStorage']>
  loginItem: { supported: () => boolean; enabled: () => boolean; set: (on: boolean) => boolean }
  updateStatus: () => UpdateStatus
  provisionedStartAtLogin: boolean | undefined
  isPackaged: boolean
  envConfigured: boolean
  log: Logger
  now?: () => number
  /** How long the checks wait for the link to go live after sign-in. */
  liveWaitMs?: number
}

export const TEST_ALERT: Alert = {
  kind: 'request',
  title: 'BayAlert test alert',
  body: 'This is how a waiting customer sounds.',
  detail: 'full',
  items: [],
  latencyMs: null,
}

export class FirstRunService {
  constructor(private readonly d: FirstRunDeps) {}

  private done(): boolean {
    const v = this.d.kv.get(DONE_KEY)
    return !!v && typeof v === 'object' && typeof (v as { completedAt?: unknown }).completedAt === 'string'
  }

  state(): FirstRunState {
    const loaded = this.d.settings.get()
    return {
      step: firstRunStep({
        isPackaged: this.d.isPackaged,
        envConfigured: this.d.envConfigured,
        done: this.done(),
        configured: loaded.configured,
        signedIn: this.d.snapshot().user !== null,
      }),
      startAtLoginDefault: startAtLoginDefault(this.d.provisionedStartAtLogin),
      loginItemSupported: this.d.loginItem.supported(),
    }
  }

  /** Rings the sound sink once, even where the shop's flags would mute it: this is the test of the speaker. */
  async testAlert(): Promise<TestAlertResult> {
    if (!this.d.settings.get().settings.soundEnabled) {
      return { played: false, message: 'Sound is off in the settings, so alerts are silent. Turn it on to hear them.' }
    }
    try {
      await this.d.sound.alert(TEST_ALERT)
      return { played: true, message: 'Playing the test alert now. Did you hear it?' }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      this.d.log.warn('test alert failed', { error: message })
      return { played: false, message: `The test alert could not play: ${message}` }
    }
  }

  /** Applies the start-at-login choice, marks first run done, waits briefly for the link, then checks. */
  async finish(choices: FirstRunChoices): Promise<Check[]> {
    let loginEnabled = this.d.loginItem.enabled()
    if (this.d.loginItem.supported()) {
      try {
        loginEnabled = this.d.loginItem.set(choices.startAtLogin)
      } catch (err) {
        this.d.log.warn('start at login could not be set', { error: err instanceof Error ? err.message : String(err) })
      }
    }
    if (this.d.settings.get().configured && this.d.snapshot().user !== null) {
      this.d.kv.set(DONE_KEY, { completedAt: new Date((this.d.now ?? Date.now)()).toISOString() })
    }
    const snapshot = await this.liveOrTimeout()
    const loaded = this.d.settings.get()
    const kind = loaded.configured ? classifyKey(loaded.settings.anonKey).kind : 'invalid'
    return firstRunChecks({
      configured: loaded.configured,
      supabaseUrl: loaded.settings.supabaseUrl,
      keyKind: kind === 'publishable' ? 'publishable' : kind === 'anon-jwt' ? 'anon-jwt' : 'none',
      snapshot,
      soundEnabled: loaded.settings.soundEnabled,
      soundHeard: choices.soundHeard,
      notificationsSupported: this.d.notificationsSupported(),
      secretStorage: await this.d.secretStorage(),
      loginItem: { supported: this.d.loginItem.supported(), enabled: loginEnabled },
      update: this.d.updateStatus(),
    })
  }

  /** Signed in but still connecting: give the link a few seconds before judging it. Bounded. */
  private liveOrTimeout(): Promise<EngineSnapshot> {
    const now = this.d.snapshot()
    if (now.user === null || now.link.state !== 'connecting') return Promise.resolve(now)
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer)
        off()
        resolve(this.d.snapshot())
      }
      const timer = setTimeout(finish, this.d.liveWaitMs ?? 8000)
      const off = this.d.onSnapshot((s) => {
        if (s.link.state !== 'connecting') finish()
      })
    })
  }
}
