// The global shortcut's setting: an Electron accelerator ("CommandOrControl+Alt+T"), or '' for none.
// Syntax: https://www.electronjs.org/docs/latest/api/accelerator — modifiers joined by '+', then one key.
// At least one modifier is required: a shortcut that is a bare key would take that key away from every other
// program on the workstation while BayAlert runs.
import { z } from 'zod'

export const DEFAULT_GLOBAL_SHORTCUT = 'CommandOrControl+Alt+T'
export const ACCELERATOR_MAX = 100

const MODIFIERS = new Set(['command', 'cmd', 'control', 'ctrl', 'commandorcontrol', 'cmdorctrl', 'alt', 'option', 'altgr', 'shift', 'super', 'meta'])
const NAMED_KEYS = new Set([
  'plus', 'space', 'tab', 'capslock', 'numlock', 'scrolllock', 'backspace', 'delete', 'insert', 'return', 'enter',
  'up', 'down', 'left', 'right', 'home', 'end', 'pageup', 'pagedown', 'escape', 'esc', 'volumeup', 'volumedown',
  'volumemute', 'medianexttrack', 'mediaprevioustrack', 'mediastop', 'mediaplaypause', 'printscreen',
  'numdec', 'numadd', 'numsub', 'nummult', 'numdiv',
])
const PUNCTUATION = new Set([...')!@#$%^&*(:;:+=<,_->.?/~`{][|\\}"\''])

function isKey(part: string): boolean {
  const p = part.toLowerCase()
  if (/^[a-z0-9]$/.test(p)) return true
  if (/^f([1-9]|1[0-9]|2[0-4])$/.test(p)) return true
  if (/^num[0-9]$/.test(p)) return true
  return NAMED_KEYS.has(p) || (part.length === 1 && PUNCTUATION.has(part))
}

/** One sentence about what is wrong with a shortcut, or null when it is usable ('' = no shortcut). */
export function acceleratorProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'The shortcut must be text, e.g. CommandOrControl+Alt+T.'
  const v = value.trim()
  if (v === '') return null
  if (v.length > ACCELERATOR_MAX) return 'The shortcut is too long.'
  const parts = v.split('+')
  // "Ctrl++" means Ctrl and the plus key: an empty last part after a '+' is the key '+'.
  if (parts.length >= 3 && parts.at(-1) === '' && parts.at(-2) === '') parts.splice(-2, 2, '+')
  if (parts.some((p) => p.trim() === '' || p !== p.trim())) return 'The shortcut has an empty or padded part; write it like CommandOrControl+Alt+T.'
  const key = parts.at(-1)!
  const mods = parts.slice(0, -1)
  if (MODIFIERS.has(key.toLowerCase())) return `The shortcut needs a key after its modifiers, e.g. ${key}+Alt+T.`
  if (mods.length === 0) return 'The shortcut needs at least one modifier (CommandOrControl, Alt, Shift, Super), or it would take that key from every program.'
  const unknown = mods.find((m) => !MODIFIERS.has(m.toLowerCase()))
  if (unknown !== undefined) return `"${unknown.slice(0, 20)}" is not a modifier; use CommandOrControl, Control, Command, Alt, Option, Shift or Super.`
  if (new Set(mods.map((m) => m.toLowerCase())).size !== mods.length) return 'The shortcut names a modifier twice.'
  if (!isKey(key)) return `"${key.slice(0, 20)}" is not a key; use a letter, a digit, F1–F24 or a named key such as Space.`
  return null
}

/** The setting's schema: the rule's sentence is the message; a usable value comes back trimmed. */
export const GlobalShortcutSchema = z
  .unknown()
  .superRefine((value, ctx) => {
    const problem = acceleratorProblem(value)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })
  .transform((value) => (typeof value === 'string' ? value.trim() : ''))
