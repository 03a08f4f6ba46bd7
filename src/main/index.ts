// Electron main: composition only. Each imported module adapts one OS feature to one engine port;
// this file creates them in the right order and connects them.
import { app, dialog, globalShortcut, net, Notification, powerMonitor, safeStorage, session, shell, type WebContents } from 'electron'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { createEngine } from '../core/engine.js'
import { installApplicationMenu } from './app-menu.js'
import { installAppProtocol, registerAppScheme } from './app-protocol.js'
import { registerAlertPrefsHandlers } from './alert-prefs-ipc.js'
import { registerLoginItemHandlers } from './login-item-ipc.js'
import { AlertPrefsService } from './alert-prefs-service.js'
import { urgencyThresholds } from '../shared/alert-prefs.js'
import { AttentionSink } from './attention-sink.js'
import { registerDiagnosticsExport, saveDialog } from './diagnostics-export.js'
import { engineConfigFor, engineConfigKey } from './engine-config.js'
import { parseJoinBudget } from '../core/link/join-window.js'
import { escalationFromEnv } from '../core/escalation-config.js'
import { EngineHost } from './engine-host.js'
import { FirstRunService } from './first-run-service.js'
import { HostFaults } from './host-faults.js'
import { InAppSink } from './in-app-sink.js'
import { registerIpcHandlers } from './ipc-handlers.js'
import { openAppLog } from './app-log.js'
import { getStartAtLogin, HIDDEN_ARG, loginItemSupported, setStartAtLogin, type LoginItemEnv } from './login-item.js'
import { sqliteNativeBinding } from './native-binding.js'
import { NotificationSink } from './notification-sink.js'
import { activationHandler, openUrlHandler, secondInstanceHandler } from './notification-actions/router.js'
import { takeFromNotification } from './notification-actions/take-from-notification.js'
import { GlobalShortcut } from './global-shortcut/shortcut.js'
import { oldestWaiting } from './global-shortcut/oldest-waiting.js'
import { appPaths } from './paths.js'
import { provisioningPaths, readProvisioning } from './provisioning.js'
import { wirePowerEvents } from './power.js'
import { installProcessGuards } from './process-guards.js'
import { SafeStorageSecretStore } from './secret-store.js'
import { hardenWebContents, installSessionSecurity } from './security.js'
import { settingsView, SettingsService, type LoadedSettings } from './settings.js'
import { openKeyValueStore } from './settings-store.js'
import { SoundSink, volumeFor } from './sound-sink.js'
import { SoundWindow } from './sound-window.js'
import { reportStartupFailure } from './startup-failure.js'
import { TrayController } from './tray.js'
import { push } from './typed-ipc.js'
import { createUpdateController } from './updater.js'
import { createQueueWindowController, WALLBOARD_URL, wallboardWindowOptions } from './windows.js'
import { createElectronAlertPath } from './alert-path/alert-path-service.js'
import { registerAlertPathIpc } from './alert-path/alert-path-ipc.js'
import { SwallowedNotificationFallback } from './alert-path/swallowed-fallback-sink.js'

// Must match electron-builder.yml appId: Windows toasts need the AUMID of the Start-menu shortcut that
// NSIS writes (electron#10864). Call before any window or notification exists.
const APP_ID = 'com.bayalert.BayAlert'
// Before anything can fail: a packaged app's stderr goes nowhere, the log file is what support gets.
const appLog = openAppLog(app.getPath('userData'))
const log = appLog.logger('main')
const platform = process.platform

// Logged with the cause and surfaced as a health state + alert once the sinks exist (the last one
// before that waits); never Electron's modal error box, never silent.
let surfaceFault: ((reason: string) => void) | null = null
let earlyFault: string | null = null
const faultSink = (reason: string) => (surfaceFault ? surfaceFault(reason) : (earlyFault = reason))
installProcessGuards(process, log, (f) =>
  faultSink(`${f.kind === 'uncaught-exception' ? 'An unexpected error' : 'An unhandled failure'} in the app's main process (${f.message}).`),
)

// Before 'ready' (protocol docs).
registerAppScheme()

if (!app.requestSingleInstanceLock()) {
  // A second BayAlert would ring twice for every request. The first instance shows its queue instead.
  app.quit()
} else {
  main().catch((error: unknown) =>
    reportStartupFailure(error, { showErrorBox: (t, c) => dialog.showErrorBox(t, c), exit: (code) => app.exit(code), log }),
  )
}

async function main(): Promise<void> {
  log.info('starting', { version: app.getVersion(), electron: process.versions.electron ?? null, os: `${platform} ${process.arch}`, logDir: appLog.dir })
  if (platform === 'win32') app.setAppUserModelId(APP_ID)
  const startHidden = process.argv.includes(HIDDEN_ARG)

  app.on('web-contents-created', (_e, contents: WebContents) =>
    hardenWebContents(contents, (msg, url) => log.warn(msg, { url: url.slice(0, 200) })),
  )
  // A tray app keeps running with no windows; only the tray's Quit ends it.
  app.on('window-all-closed', () => {})
  // Registered before the first await so a second launch (or a bayalert:// activation) during start-up is not lost.
  let secondInstance: ((argv: readonly unknown[]) => void) | null = null
  let earlyArgv: readonly unknown[] | null = null
  app.on('second-instance', (_e, argv) => (secondInstance ? secondInstance(argv) : (earlyArgv = argv ?? [])))
  let openUrl: ((url: unknown) => void) | null = null
  app.on('open-url', (e, url) => {
    e.preventDefault()
    if (openUrl) openUrl(url)
  })

  await app.whenReady()
  installApplicationMenu(platform, app.isPackaged)
  installSessionSecurity(session.defaultSession)
  const paths = appPaths(__dirname, app.isPackaged, process.resourcesPath, app.getAppPath())
  installAppProtocol({ renderer: paths.renderer, sounds: paths.sounds })

  const kv = openKeyValueStore('settings')
  const provisioning = readProvisioning(provisioningPaths(platform, process.env, process.execPath))
  for (const p of provisioning.problems) log.warn('provisioning', { problem: p })
  if (provisioning.source && provisioning.problems.length === 0) log.info('provisioning file in effect', { source: provisioning.source })
  const settings = new SettingsService(kv, process.env, provisioning)
  if (settings.removedSecretKey()) log.warn('deleted a saved service-role/secret key from the settings file')
  const secrets = new SafeStorageSecretStore(safeStorage, openKeyValueStore('secrets'), platform, log)
  const view = async (loaded: LoadedSettings) => settingsView(loaded, await secrets.status())
  const alertPrefs = new AlertPrefsService(kv, provisioning.values.repeatIntervalSeconds)
  for (const p of alertPrefs.view().problems) log.warn('alert preferences', { problem: p })

  const queueWindow = createQueueWindowController(paths.preload, app.isPackaged, undefined, { log, onGaveUp: faultSink })
  const wallboardWindow = createQueueWindowController(paths.preload, app.isPackaged, WALLBOARD_URL, { log, onGaveUp: faultSink }, wallboardWindowOptions)
  const sound = new SoundWindow(paths.preload, app.isPackaged, log, undefined, faultSink)
  sound.open()

  const loginEnv: LoginItemEnv = {
    platform,
    isPackaged: app.isPackaged,
    appData: app.getPath('appData'),
    execPath: process.execPath,
    appImage: process.env.APPIMAGE,
  }

  let tray: TrayController | null = null

  // The alert-path self-test (Do Not Disturb, muted output, no tray host, notifications off): in the
  // background at start, on resume and hourly; its warning reaches the tray and the window.
  const alertPath = createElectronAlertPath({
    notificationFacts: { platform, isSupported: () => Notification.isSupported(), isPackaged: app.isPackaged, appUserModelIdSet: platform === 'win32' },
    appId: APP_ID,
    proofs: () => [notifications.proof(), sound.proof(() => ({ sound: alertPrefs.get().sound, volume: volumeFor(alertPrefs.get().volume) })), { sink: 'tray', prove: async () => (tray?.exists() ? { outcome: 'delivered', detail: 'the tray icon is in place' } : { outcome: 'failed', detail: 'there is no tray icon' }) }],
    onStatus: (st) => {
      tray?.setAlertPathWarning(st.state === 'warning' ? st.text : null)
      push(queueWindow.existing()?.webContents, 'alert-path:status', st)
    },
    log: appLog.logger('alert-path'),
  })

  const soundSink = new SoundSink({ player: sound, enabled: () => settings.get().settings.soundEnabled, prefs: () => alertPrefs.get() })
  // Take it from the notification, or open the queue on its request (notification-actions/).
  const openOn = (requestId: string | null) => {
    queueWindow.show()
    if (requestId) queueWindow.sendWhenReady('queue:focus', requestId)
  }
  const tell = (title: string, body: string) => {
    if (Notification.isSupported()) new Notification({ title, body: body.slice(0, 300), silent: true }).show()
  }
  const takeFromToast = takeFromNotification({ accept: (id) => host.accept(id), open: openOn, tell, log })
  const actionHandlers = { take: (id: string) => void takeFromToast(id), open: openOn }
  // A notification the OS refuses ('failed') brings the queue window up: the ring is still seen.
  const notifications = new NotificationSink({ platform, showQueue: () => queueWindow.show(), log, actions: actionHandlers, onFailed: () => queueWindow.show() })
  const refusedActivation = (why: string) => log.warn('refused an activation', { why })
  if (platform === 'win32') {
    // Electron's AUMID activation path; an Electron without it still shows the toasts, but their buttons do nothing — said once.
    if (typeof Notification.handleActivation === 'function') Notification.handleActivation(activationHandler({ handlers: actionHandlers, refused: refusedActivation }))
    else log.warn('this Electron has no Notification.handleActivation: Take it on a toast cannot reach the app; the queue window still can')
  }
  const sinks = [
    notifications,
    soundSink,
    new AttentionSink({
      platform,
      queueWindow: () => queueWindow.existing(),
      setTrayAttention: (on) => tray?.setAttention(on),
      overlayIconPath: join(paths.trayIcons, 'overlay.png'),
    }),
    new InAppSink({
      showInactive: () => queueWindow.showInactive(),
      // Queued until the page has loaded: the first alert is usually what creates the window.
      send: (alert) => queueWindow.sendWhenReady('alert:in-app', alert),
    }),
    new SwallowedNotificationFallback({ swallowed: () => alertPath.notificationsSwallowed(), bringToFront: () => queueWindow.show() }),
  ]

  // EngineConfig is fixed per engine, so the host re-creates it on settings changes with the same ports.
  const engineLog = appLog.logger('engine')
  const host = new EngineHost((config) => createEngine(config, { secrets, sinks, log: engineLog, alertPath: alertPath.monitor }), log)
  const hostFaults = new HostFaults({ sinks: () => sinks, flags: () => host.snapshot().flags, log, onChange: (f) => host.setHostFault(f) })
  surfaceFault = (reason) => hostFaults.report(reason)
  if (earlyFault) surfaceFault(earlyFault)

  tray = new TrayController({
    iconDir: paths.trayIcons,
    platform,
    loginItem: () => ({ supported: loginItemSupported(loginEnv), enabled: getStartAtLogin(loginEnv) }),
    actions: {
      showQueue: () => queueWindow.show(),
      openWallboard: () => wallboardWindow.show(),
      acknowledgeAll: () => void host.acknowledgeAll(),
      pause: (r) => void host.pause(r).catch((e) => log.warn('pause failed', { error: String(e) })),
      resume: () => void host.resume().catch((e) => log.warn('resume failed', { error: String(e) })),
      reconnectNow: () => void host.reconnectNow().catch((e) => log.warn('reconnect failed', { error: String(e) })),
      setStartAtLogin: (on) => {
        setStartAtLogin(loginEnv, on)
        tray?.refresh()
      },
      signOut: () => void host.signOut().catch((e) => log.warn('sign-out failed', { error: String(e) })),
      quit: () => app.quit(),
      testAlert: () => void alertPath.test().then((r) => log.info('test alert from the tray', { summary: r.summary })),
    },
  })

  host.onSnapshot((s) => {
    tray?.update(s)
    push(queueWindow.existing()?.webContents, 'engine:snapshot', s)
    push(wallboardWindow.existing()?.webContents, 'engine:snapshot', s)
  })

  let sessionPersists = false
  void secrets.status().then((st) => (sessionPersists = st.protected))
  const updates = await createUpdateController({
    isPackaged: app.isPackaged,
    updateConfigFile: join(app.getPath('userData'), 'app-update.yml'),
    env: process.env,
    provisionedFeedUrl: provisioning.values.updateFeedUrl,
    snapshot: () => host.snapshot(),
    sessionPersists: () => sessionPersists,
    onStatus: (st) => push(queueWindow.existing()?.webContents, 'updates:status', st),
    log: appLog.logger('updates'),
  })
  host.onSnapshot((s) => updates.onSnapshot(s))

  const loginItem = {
    supported: () => loginItemSupported(loginEnv),
    enabled: () => getStartAtLogin(loginEnv),
    set: (on: boolean) => {
      const now = setStartAtLogin(loginEnv, on)
      tray?.refresh()
      return now
    },
  }
  const firstRun = new FirstRunService({
    kv,
    settings,
    snapshot: () => host.snapshot(),
    onSnapshot: (l) => host.onSnapshot(l),
    sound: soundSink,
    notificationsSupported: () => Notification.isSupported(),
    secretStorage: () => secrets.status(),
    loginItem,
    updateStatus: () => updates.status(),
    provisionedStartAtLogin: provisioning.values.startAtLogin,
    isPackaged: app.isPackaged,
    envConfigured: !!process.env.SUPABASE_URL,
    log,
  })

  registerIpcHandlers({ host, settings, view, updateStatus: () => updates.status(), firstRun, log })
  registerLoginItemHandlers(loginItem, log)
  registerAlertPrefsHandlers({ prefs: alertPrefs, testSound: () => soundSink.test(), openExternal: (url) => shell.openExternal(url), log })
  registerAlertPathIpc({ service: alertPath, sound, log })
  alertPath.start()
  powerMonitor.on('resume', () => alertPath.onResume())
  registerDiagnosticsExport({
    facts: async () => ({
      snapshot: host.snapshot(),
      settings: settings.get(),
      secretStorage: await secrets.status(),
      logStats: appLog.host.file.stats(),
      notificationsSupported: Notification.isSupported(),
      alertPath: alertPath.status(),
    }),
    logDir: appLog.dir,
    appVersion: app.getVersion(),
    defaultDir: app.getPath('downloads'),
    choosePath: saveDialog(() => queueWindow.existing()),
    log,
  })

  const joinBudget = parseJoinBudget(process.env.BAYALERT_JOIN_BUDGET)
  if (joinBudget.problem) log.warn(joinBudget.problem)
  for (const p of escalationFromEnv(process.env).problems) log.warn(p)
  const engineConfig = (loaded: LoadedSettings) =>
    engineConfigFor({
      loaded,
      provisioned: provisioning.values,
      env: process.env,
      defaultDataDir: join(app.getPath('userData'), 'data'),
      hostName: hostname(),
      appVersion: app.getVersion(),
      sqliteNativeBinding: sqliteNativeBinding(app.isPackaged, process.env),
      repeatIntervalSec: alertPrefs.get().repeatIntervalSec,
      urgency: urgencyThresholds(alertPrefs.get()),
    })

  let configuredFor = ''
  const reconfigure = async (loaded: LoadedSettings) => {
    const cfg = engineConfig(loaded)
    const key = engineConfigKey(cfg)
    if (key === configuredFor) return
    configuredFor = key
    await host.configure(cfg)
  }
  settings.onChange((loaded) => {
    void reconfigure(loaded)
    void view(loaded).then((v) => push(queueWindow.existing()?.webContents, 'settings:changed', v))
  })
  alertPrefs.onChange((v) => {
    // A new repeat interval needs a new engine (engineConfigKey); colours and sound apply at once.
    void reconfigure(settings.get())
    push(queueWindow.existing()?.webContents, 'prefs:changed', v)
    push(wallboardWindow.existing()?.webContents, 'prefs:changed', v)
  })
  await reconfigure(settings.get())

  // `npm start` against the demo backend passes a password; never stored, never logged.
  const password = process.env.BAYALERT_PASSWORD
  const email = settings.get().settings.email
  if (password && email && host.current() && host.snapshot().user === null) {
    await host.signIn(email, password).catch((e) => log.warn('automatic sign-in failed', { message: String(e) }))
  }

  const stopPower = wirePowerEvents({
    engine: () => host.current(),
    power: powerMonitor,
    isOnline: () => net.isOnline(),
    linkState: () => host.snapshot().link.state,
    platform,
  })

  // The global shortcut: takes the oldest waiting request, or shows the queue when nobody waits.
  const shortcut = new GlobalShortcut({
    registry: globalShortcut,
    onPress: () => {
      const oldest = oldestWaiting(host.snapshot().queue)
      if (oldest) void takeFromToast(oldest.requestId)
      else openOn(null)
    },
    onProblem: (problem) => problem && tell('Shortcut not set up', problem),
    log,
  })
  shortcut.apply(settings.get().settings.globalShortcut ?? '')
  settings.onChange((loaded) => shortcut.apply(loaded.settings.globalShortcut ?? ''))

  secondInstance = secondInstanceHandler({ handlers: actionHandlers, refused: refusedActivation })
  openUrl = openUrlHandler({ handlers: actionHandlers, refused: refusedActivation })
  // First run, bad settings or signed out: the window is where that gets fixed, so show it.
  const snap = host.snapshot()
  const needsAttention = !settings.get().configured || settings.get().problems.length > 0 || snap.user === null
  if (earlyArgv) secondInstance(earlyArgv)
  else if (!startHidden && needsAttention) queueWindow.show()

  updates.start()

  let quitting = false
  app.on('before-quit', (event) => {
    queueWindow.allowClose()
    wallboardWindow.allowClose()
    if (quitting) return
    quitting = true
    event.preventDefault()
    stopPower()
    shortcut.clear()
    alertPath.stop()
    // Decided before the engine stops: afterwards its queue (who is waiting) is gone.
    const installUpdate = updates.installOnQuit()
    updates.stop()
    void host
      .stop()
      .finally(() => appLog.host.file.close(2000))
      .finally(() => {
        sound.close()
        tray?.destroy()
        if (!installUpdate || !updates.install(() => app.quit(), false)) app.quit()
      })
  })
}
