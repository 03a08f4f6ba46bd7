// The invoke channels' contract as schemas (zod 4, https://zod.dev): ONE schema per channel for its
// arguments and one for its result, and the TypeScript types derived from them (z.infer), so a type and
// the check that enforces it cannot drift apart. The typed ipcMain wrapper (src/main/typed-ipc.ts) and the
// headless loopback UI server (src/cli/ui-server.ts) parse every call's arguments with these before
// anything reaches the engine: renderer input is untrusted (Electron security checklist #17, "Validate the
// sender of all IPC messages", https://www.electronjs.org/docs/latest/tutorial/security).
// Node side only: the renderer and the sandboxed preload import nothing but types from here (src/shared/ipc.ts
// re-exports them), so zod never enters their bundles.
import { z } from 'zod'
import type { AcceptResult, EngineSnapshot, HistoryEntry, PauseRequest } from './types.js'
import { REQUEST_ID_MAX, SETTINGS_LIMITS } from './ipc.js'
import { ALERT_PREFS_LIMITS, REQUEST_SOUNDS } from './alert-prefs.js'

// ---------------------------------------------------------------------------------------------------
// Argument values

const REQUEST_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/
const EMAIL_RE = /^[^\s@<>"'`]{1,64}@[A-Za-z0-9.-]{1,253}$/

/** session_assignments.id as a UI may name it: no markup, no path, no whitespace. */
export const RequestIdSchema = z
  .string()
  .min(1, 'request id is empty')
  .max(REQUEST_ID_MAX, `request id is longer than ${REQUEST_ID_MAX} characters`)
  .regex(REQUEST_ID_RE, 'request id has characters other than letters, digits and _.:@-')

export const EmailSchema = z.string().max(254, 'e-mail is longer than 254 characters').regex(EMAIL_RE, 'not an e-mail address')
export const PasswordSchema = z.string().min(1, 'password is empty').max(1024, 'password is longer than 1024 characters')

/** Exactly {minutes:15} | {minutes:60} | {indefinite:true}: the three choices the pause menu offers. */
export const PauseRequestSchema = z.union([
  z.strictObject({ minutes: z.literal(15) }),
  z.strictObject({ minutes: z.literal(60) }),
  z.strictObject({ indefinite: z.literal(true) }),
])

/**
 * The shape the IPC layer accepts for settings: exactly the four keys, strings within their size limits and
 * a boolean. The content (https, which kind of key, e-mail form) is judged by the main process
 * (src/main/settings-rules.ts), which answers with one message per field instead of an "invalid arguments"
 * error the mechanic cannot act on.
 */
export const SettingsInputSchema = z.strictObject({
  supabaseUrl: z.string().max(SETTINGS_LIMITS.supabaseUrl),
  anonKey: z.string().max(SETTINGS_LIMITS.anonKey),
  email: z.string().max(SETTINGS_LIMITS.email),
  soundEnabled: z.boolean(),
  /** The global shortcut (an Electron accelerator, '' for none); optional so older callers stay valid. */
  globalShortcut: z.string().max(SETTINGS_LIMITS.globalShortcut).optional(),
})
export type SettingsInput = z.infer<typeof SettingsInputSchema>
export type SettingsField = keyof SettingsInput
const SettingsFieldSchema = z.enum(['supabaseUrl', 'anonKey', 'email', 'soundEnabled', 'globalShortcut'])

/**
 * Alert preferences as the IPC layer accepts them: exactly these keys, each of the right type and size. What
 * the values may be (ranges, amber before red, an https dashboard link) is judged by checkAlertPrefs
 * (src/shared/alert-prefs.ts), which answers per field, like the settings.
 */
export const AlertPrefsInputSchema = z.strictObject({
  sound: z.string().max(32),
  volume: z.number(),
  repeatIntervalSec: z.number(),
  amberAfterMin: z.number(),
  redAfterMin: z.number(),
  dashboardUrl: z.string().max(ALERT_PREFS_LIMITS.dashboardUrl.max + 64),
})
const AlertPrefsFieldSchema = z.enum(['sound', 'volume', 'repeatIntervalSec', 'amberAfterMin', 'redAfterMin', 'dashboardUrl'])
export const AlertPrefsViewSchema = z.object({
  prefs: z.object({
    sound: z.enum(REQUEST_SOUNDS),
    volume: z.number(),
    repeatIntervalSec: z.number(),
    amberAfterMin: z.number(),
    redAfterMin: z.number(),
    dashboardUrl: z.string(),
  }),
  /** What was wrong with the saved preferences (each bad value was replaced by its default). */
  problems: z.array(z.string()),
})
export type AlertPrefsView = z.infer<typeof AlertPrefsViewSchema>
export const SaveAlertPrefsResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), view: AlertPrefsViewSchema }),
  z.object({ ok: z.literal(false), fields: z.partialRecord(AlertPrefsFieldSchema, z.string()) }),
])
export type SaveAlertPrefsResult = z.infer<typeof SaveAlertPrefsResultSchema>
export const OpenDashboardResultSchema = z.discriminatedUnion('ok', [z.object({ ok: z.literal(true) }), z.object({ ok: z.literal(false), error: z.string() })])
export type OpenDashboardResult = z.infer<typeof OpenDashboardResultSchema>

/** Start at login: whether this build can (packaged, a supported OS) and whether it is on. */
export const LoginItemStateSchema = z.object({ supported: z.boolean(), enabled: z.boolean() })
export type LoginItemState = z.infer<typeof LoginItemStateSchema>

/** The mechanic's choices at the end of first run. */
export const FirstRunChoicesSchema = z.strictObject({ startAtLogin: z.boolean(), soundHeard: z.boolean().nullable() })
export type FirstRunChoices = z.infer<typeof FirstRunChoicesSchema>

// ---------------------------------------------------------------------------------------------------
// Results (built by the main process; the schemas give their types and let tests hold every handler to them)

/** One sentence per field, shown next to that field in the settings form. */
export const FieldProblemsSchema = z.partialRecord(SettingsFieldSchema, z.string())
export type FieldProblems = z.infer<typeof FieldProblemsSchema>

/** The administrator's provisioning file in effect (null: none) and the fields whose value comes from it. */
export const ProvisioningViewSchema = z.object({ source: z.string().nullable(), fields: z.array(SettingsFieldSchema) })
export type ProvisioningView = z.infer<typeof ProvisioningViewSchema>

export const SettingsViewSchema = SettingsInputSchema.extend({
  /** Human-readable problems with the saved settings (bad values were replaced by safe defaults). */
  problems: z.array(z.string()),
  /** The same problems, by the field they belong to (for the message next to the field). */
  fields: FieldProblemsSchema,
  /** Whether secrets are really encrypted at rest (false on Linux without a keyring: `basic_text`). */
  secretStorage: z.object({ protected: z.boolean(), backend: z.string(), message: z.string().nullable() }),
  configured: z.boolean(),
  provisioning: ProvisioningViewSchema,
})
export type SettingsView = z.infer<typeof SettingsViewSchema>

export const SaveSettingsResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), settings: SettingsViewSchema }),
  z.object({ ok: z.literal(false), problems: z.array(z.string()), fields: FieldProblemsSchema }),
])
export type SaveSettingsResult = z.infer<typeof SaveSettingsResultSchema>

/** "Export diagnostics": where the file was written, or why not (cancelled included). */
export const DiagnosticsExportResultSchema = z.discriminatedUnion('ok', [z.object({ ok: z.literal(true), path: z.string() }), z.object({ ok: z.literal(false), error: z.string() })])
export type DiagnosticsExportResult = z.infer<typeof DiagnosticsExportResultSchema>

export const SignInResultSchema = z.discriminatedUnion('ok', [z.object({ ok: z.literal(true) }), z.object({ ok: z.literal(false), message: z.string() })])
export type SignInResult = z.infer<typeof SignInResultSchema>

/** What the window says about updates (update-policy.ts decides; updater.ts reports). */
export const UpdateStatusSchema = z.object({
  phase: z.enum(['off', 'idle', 'checking', 'downloading', 'downloaded', 'error']),
  version: z.string().nullable(),
  text: z.string(),
})
export type UpdateStatus = z.infer<typeof UpdateStatusSchema>

export const FirstRunStepSchema = z.enum(['connect', 'sign-in', 'test-alert', 'finish'])
export type FirstRunStep = z.infer<typeof FirstRunStepSchema>

/** What the queue window needs to open on the first-run panel (step null: no panel). */
export const FirstRunStateSchema = z.object({ step: FirstRunStepSchema.nullable(), startAtLoginDefault: z.boolean(), loginItemSupported: z.boolean() })
export type FirstRunState = z.infer<typeof FirstRunStateSchema>

export const TestAlertResultSchema = z.object({
  /** The sound sink was asked to play (false: sound is off in the settings). */
  played: z.boolean(),
  message: z.string(),
})
export type TestAlertResult = z.infer<typeof TestAlertResultSchema>

/** One doctor-like check, as the first-run panel lists them. */
export const CheckSchema = z.object({ name: z.string(), status: z.enum(['ok', 'warn', 'fail']), detail: z.string() })
export type Check = z.infer<typeof CheckSchema>

/** One thing on this machine that swallows alerts (src/core/alert-path/types.ts Finding). */
export const AlertPathFindingSchema = z.object({ id: z.string(), affects: z.enum(['notifications', 'sound', 'tray']), reason: z.string() })

/** The alert-path self-test as the window shows it: checking (no run finished yet), ok or warning. */
export const AlertPathStatusSchema = z.object({
  state: z.enum(['checking', 'ok', 'warning']),
  checkedAt: z.number().nullable(),
  trigger: z.string().nullable(),
  /** One line for the status bar. */
  text: z.string(),
  findings: z.array(AlertPathFindingSchema),
  /** Checks that could not tell (command missing, timeout, unreadable answer). */
  unknown: z.array(z.object({ detector: z.string(), why: z.string() })),
  /** The last Test alert's proofs, one per sink (null: no Test alert since start). */
  deliveries: z.array(z.object({ sink: z.string(), outcome: z.enum(['delivered', 'failed', 'unproven']), detail: z.string() })).nullable(),
})
export type AlertPathStatus = z.infer<typeof AlertPathStatusSchema>

/** Test alert: the fresh self-test plus each sink's proof of delivery. */
export const AlertPathTestResultSchema = z.object({
  status: AlertPathStatusSchema,
  /** One line for the window: what was proven, what failed. */
  summary: z.string(),
})
export type AlertPathTestResult = z.infer<typeof AlertPathTestResultSchema>

/** The hidden sound page's answer to one play request that asked for proof (its nonce): it played, or why not. */
export const SoundPlayedReportSchema = z.strictObject({
  nonce: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'nonce is not 1–64 letters, digits or -'),
  ok: z.boolean(),
  error: z.string().max(300, 'error is longer than 300 characters').nullable(),
})
export type SoundPlayedReport = z.infer<typeof SoundPlayedReportSchema>

export const AcceptResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), queued: z.literal(true).optional() }),
  z.object({ ok: z.literal(false), reason: z.enum(['already-taken', 'not-found', 'offline', 'error']), message: z.string() }),
])

/** One row of the History view (engine.history()): the last day's requests as this workstation saw them. */
export const HistoryEntrySchema = z.object({
  requestId: z.string(),
  customerName: z.string().nullable(),
  source: z.enum(['broadcast', 'db-broadcast', 'postgres_changes', 'reconcile']),
  seenAt: z.number(),
  alertedAt: z.number().nullable(),
  alertKind: z.enum(['request', 'summary']).nullable(),
  latencyMs: z.number().nullable(),
  sinks: z.array(z.object({ sink: z.string(), ok: z.number().int().nonnegative(), failed: z.number().int().nonnegative(), skipped: z.number().int().nonnegative() })),
  acknowledgedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  ended: z.enum(['taken', 'cancelled', 'removed']).nullable(),
  takenBy: z.string().nullable(),
  takenByMe: z.boolean(),
})
export const HistorySchema = z.array(HistoryEntrySchema)

/**
 * The engine's snapshot is the engine's own type (src/shared/types.ts, built by src/core and reshaped by the
 * engine's work); here it is only checked to be an object with a queue array. Its fields are pinned by the
 * engine's tests, not re-validated on every push.
 */
const EngineSnapshotSchema = z.custom<EngineSnapshot>(
  (v) => typeof v === 'object' && v !== null && Array.isArray((v as { queue?: unknown }).queue),
  'not an engine snapshot',
)

// The engine's types in src/shared/types.ts stay plain (the engine imports no zod types); these lines fail the
// typecheck if a schema and its type ever disagree.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const pauseRequestMatches: Same<z.infer<typeof PauseRequestSchema>, PauseRequest> = true
const acceptResultMatches: Same<z.infer<typeof AcceptResultSchema>, AcceptResult> = true
void pauseRequestMatches
void acceptResultMatches
const historyEntryMatches: Same<z.infer<typeof HistoryEntrySchema>, HistoryEntry> = true
void historyEntryMatches

// ---------------------------------------------------------------------------------------------------
// The channels

const noArgs = z.tuple([])

/** renderer → main (ipcRenderer.invoke / ipcMain.handle): each channel's argument tuple and result. */
export const INVOKE_CONTRACT = {
  'engine:get-snapshot': { args: noArgs, result: EngineSnapshotSchema },
  'queue:acknowledge': { args: z.tuple([RequestIdSchema]), result: z.void() },
  'queue:accept': { args: z.tuple([RequestIdSchema]), result: AcceptResultSchema },
  'alerts:pause': { args: z.tuple([PauseRequestSchema]), result: z.void() },
  'alerts:resume': { args: noArgs, result: z.void() },
  'link:reconnect': { args: noArgs, result: z.void() },
  'history:get': { args: noArgs, result: HistorySchema },
  'settings:get': { args: noArgs, result: SettingsViewSchema },
  'settings:save': { args: z.tuple([SettingsInputSchema]), result: SaveSettingsResultSchema },
  'session:sign-in': { args: z.tuple([EmailSchema, PasswordSchema]), result: SignInResultSchema },
  'session:sign-out': { args: noArgs, result: z.void() },
  'updates:get-status': { args: noArgs, result: UpdateStatusSchema },
  'first-run:get-state': { args: noArgs, result: FirstRunStateSchema },
  'first-run:test-alert': { args: noArgs, result: TestAlertResultSchema },
  'first-run:finish': { args: z.tuple([FirstRunChoicesSchema]), result: z.array(CheckSchema) },
  'diagnostics:export': { args: noArgs, result: DiagnosticsExportResultSchema },
  'prefs:get': { args: noArgs, result: AlertPrefsViewSchema },
  'prefs:save': { args: z.tuple([AlertPrefsInputSchema]), result: SaveAlertPrefsResultSchema },
  'prefs:test-sound': { args: noArgs, result: TestAlertResultSchema },
  'dashboard:open': { args: z.tuple([RequestIdSchema]), result: OpenDashboardResultSchema },
  'login-item:get': { args: noArgs, result: LoginItemStateSchema },
  'login-item:set': { args: z.tuple([z.boolean()]), result: LoginItemStateSchema },
  'alert-path:get-status': { args: noArgs, result: AlertPathStatusSchema },
  'alert-path:test': { args: noArgs, result: AlertPathTestResultSchema },
  'sound:played': { args: z.tuple([SoundPlayedReportSchema]), result: z.void() },
} as const

type Contract = typeof INVOKE_CONTRACT
export type InvokeChannel = keyof Contract
export type InvokeChannels = { [C in InvokeChannel]: { args: z.infer<Contract[C]['args']>; result: z.infer<Contract[C]['result']> } }

export type ArgsCheck<C extends InvokeChannel> = { ok: true; args: InvokeChannels[C]['args'] } | { ok: false; reason: string }

/**
 * Parses one call's argument list. A rejection carries a short reason that names where and what was wrong
 * ("args[0].minutes: Invalid input: expected 60") but never an argument's value or an unknown key's name
 * (either may be huge, hostile or a password).
 */
export function parseInvokeArgs<C extends InvokeChannel>(channel: C, args: readonly unknown[]): ArgsCheck<C> {
  const parsed = INVOKE_CONTRACT[channel].args.safeParse(args)
  if (parsed.success) return { ok: true, args: parsed.data as InvokeChannels[C]['args'] }
  return { ok: false, reason: describeIssues(parsed.error.issues) }
}

/** The readable reasons of a failed parse, value-free (see parseInvokeArgs); at most three, joined by "; ". */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts = issues.slice(0, 3).map((issue) => {
    const where = issue.path.length === 0 ? 'args' : `args${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`
    if (issue.code === 'unrecognized_keys') return `${where}: ${issue.keys.length} unexpected key(s)`
    if (issue.code === 'invalid_union') return `${where}: matches none of the allowed forms`
    return `${where}: ${issue.message}`
  })
  return issues.length > 3 ? `${parts.join('; ')}; …` : parts.join('; ')
}
