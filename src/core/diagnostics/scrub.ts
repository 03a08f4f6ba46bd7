// Cleaning for a diagnostics export that leaves the shop: no secret and no customer data. Applied to
// every value of the bundle (settings, state, log lines) as the last step:
//  - a field whose name looks secret (the log redaction's SECRET_FIELD) → "[redacted]";
//  - a field whose name holds customer data (customerName, vehicle, concern, an alert's title/body,
//    details, queue items) → "[customer data removed]";
//  - every string → redactText (JWTs, sb_ keys, Bearer tokens, password=…), then each customer string
//    this workstation knows (names, vehicles, concerns of its local queue) replaced wherever it appears,
//    in any letter case — log messages are free text and may quote one.
import { redactText } from '../config.js'
import { REDACTED, SECRET_FIELD } from '../logging/redact-log.js'

export const CUSTOMER_FIELD = /customer|vehicle|concern|^title$|^body$|^details$|^items$|^queueItems$/i
export const CUSTOMER_REMOVED = '[customer data removed]'
export const CUSTOMER_MARK = '[customer]'

/** Deeper than anything a bundle holds; beyond it a value is summarised, not walked. */
const MAX_DEPTH = 12
/** Known strings used for matching; a local queue never holds more than a few hundred. */
const MAX_KNOWN = 2000

export interface KnownCustomerData {
  customerName?: string | null
  vehicle?: string | null
  concern?: string | null
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

const WORD_CHAR = /[\p{L}\p{N}_]/u

function alternation(strings: Iterable<string>, flags: string): RegExp | null {
  // Longest first, so "Dana Ortiz" is replaced whole before "Dana" could split it.
  const alternatives = [...strings]
    .sort((a, b) => b.length - a.length)
    .map((s) => {
      // Matched as a whole word where it starts or ends with a letter or digit: "Al" must not eat "Alert".
      const before = WORD_CHAR.test(s[0]!) ? '(?<![\\p{L}\\p{N}_])' : ''
      const after = WORD_CHAR.test(s.at(-1)!) ? '(?![\\p{L}\\p{N}_])' : ''
      return `${before}${escapeRegExp(s)}${after}`
    })
  return alternatives.length ? new RegExp(alternatives.join('|'), flags) : null
}

export class CustomerScrubber {
  /** Whole names, vehicles and concerns: in any letter case. */
  private readonly whole: RegExp | null
  /** Parts of names ("Ortiz"), in their own case only: a name like "Robert'); DROP TABLE x" must not blank out the word "table". */
  private readonly parts: RegExp | null

  constructor(known: Iterable<KnownCustomerData>) {
    const whole = new Set<string>()
    const parts = new Set<string>()
    // One character identifies nobody and would blank out half of every line.
    const add = (set: Set<string>, s: string | null | undefined, min: number) => {
      const t = s?.trim()
      if (t && t.length >= min && whole.size + parts.size < MAX_KNOWN) set.add(t)
    }
    for (const k of known) {
      add(whole, k.customerName, 2)
      add(whole, k.vehicle, 2)
      add(whole, k.concern, 2)
      // A name is also logged by its parts; words of vehicles and concerns are ordinary words.
      // Punctuation around a part is not part of the name ("Robert');" is logged as "Robert").
      for (const raw of k.customerName?.trim().split(/\s+/) ?? []) {
        const part = raw.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '')
        if (part !== k.customerName?.trim()) add(parts, part, 3)
      }
    }
    this.whole = alternation(whole, 'giu')
    this.parts = alternation(parts, 'gu')
  }

  text(s: string): string {
    let out = redactText(s)
    if (this.whole) out = out.replace(this.whole, CUSTOMER_MARK)
    if (this.parts) out = out.replace(this.parts, CUSTOMER_MARK)
    return out
  }

  /** A deep copy of `value` with secrets and customer data removed. */
  value(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.text(value)
    if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? String(value) : value
    if (depth >= MAX_DEPTH) return '[nested too deep]'
    if (Array.isArray(value)) return value.map((v) => this.value(v, depth + 1))
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const key = this.text(k)
      if (SECRET_FIELD.test(k)) out[key] = REDACTED
      else if (CUSTOMER_FIELD.test(k)) out[key] = v === null ? null : CUSTOMER_REMOVED
      else out[key] = this.value(v, depth + 1)
    }
    return out
  }
}
