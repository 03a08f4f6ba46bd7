/** @vitest-environment node */
// The status bar's alert-path line (src/renderer/alert-path-line.ts): findings while there are any; else a Test alert sink that failed; else
// nothing (an unproven sink is not a failure: most platforms confirm nothing).
import { describe, expect, it } from 'vitest'
import { alertPathLine } from '../../src/renderer/alert-path-line.js'
import type { AlertPathStatus } from '../../src/shared/ipc.js'

const status = (over: Partial<AlertPathStatus> = {}): AlertPathStatus => ({ state: 'ok', checkedAt: 1, trigger: 'start', text: 'ok', findings: [], unknown: [], deliveries: null, ...over })

describe('alertPathLine', () => {
  it('checking and ok: hidden', () => {
    expect(alertPathLine(status({ state: 'checking', checkedAt: null }))).toEqual({ hidden: true, text: '', kind: 'ok' })
    expect(alertPathLine(status())).toEqual({ hidden: true, text: '', kind: 'ok' })
  })
  it('a warning shows its text, even when the last test alert got through', () => {
    expect(alertPathLine(status({ state: 'warning', text: 'Muted.', deliveries: [{ sink: 'sound', outcome: 'delivered', detail: 'd' }] }))).toEqual({ hidden: false, text: '⚠ Muted.', kind: 'warning' })
  })
  it('a failed sink of the last test alert is shown; unproven ones are not', () => {
    expect(alertPathLine(status({ deliveries: [{ sink: 'tray', outcome: 'unproven', detail: 'x' }] })).hidden).toBe(true)
    expect(alertPathLine(status({ deliveries: [{ sink: 'sound', outcome: 'failed', detail: 'no device' }, { sink: 'tray', outcome: 'failed', detail: 'gone' }] }))).toEqual({
      hidden: false,
      text: '⚠ The last test alert did not get through: sound (no device); tray (gone)',
      kind: 'failed',
    })
  })
})
