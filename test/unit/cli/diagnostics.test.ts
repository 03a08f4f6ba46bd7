// doctor --export: its argument, and the customer strings it reads (read-only) from the local store to
// remove from the bundle — a real Store file, a missing one, and one that is not a database.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { knownCustomerData, takeExportArg } from '../../../src/cli/diagnostics.js'
import { Store } from '../../../src/core/store/store.js'
import { makeItem } from '../../mocks/fake-engine.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
const quiet = { debug() {}, info() {}, warn() {}, error() {} }

describe('takeExportArg', () => {
  it('takes --export FILE and --export=FILE out of the arguments, resolved to an absolute path', () => {
    expect(takeExportArg(['--json', '--export', 'out.json', '--url', 'u'])).toEqual({ argv: ['--json', '--url', 'u'], exportPath: resolve('out.json'), problem: null })
    expect(takeExportArg(['--export=/tmp/x.json'])).toEqual({ argv: [], exportPath: '/tmp/x.json', problem: null })
    expect(takeExportArg(['--json'])).toEqual({ argv: ['--json'], exportPath: null, problem: null })
  })
  it('a missing file name is a problem, not a file called "--json"', () => {
    expect(takeExportArg(['--export', '--json']).problem).toMatch(/--export needs a file name/)
    expect(takeExportArg(['--export']).problem).toMatch(/--export needs a file name/)
    expect(takeExportArg(['--export=']).problem).toMatch(/--export needs a file name/)
  })
})

describe('knownCustomerData', () => {
  it('reads names, vehicles and concerns of the local queue without changing the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bayalert-known-'))
    dirs.push(dir)
    const store = Store.open({ path: join(dir, 'bayalert.db'), log: quiet })
    const { confirmed: _c, ...item } = makeItem({ requestId: 'r-1', details: { customerName: 'Zoë Ångström', vehicle: '1989 Wartburg', concern: 'judder', sessionType: null } })
    store.putQueueRow({ ...item, nextRepeatAt: null, lastAlertAt: null, commitTs: null })
    store.close()
    const before = readFileSync(join(dir, 'bayalert.db'))
    expect(knownCustomerData(dir)).toEqual({ known: [{ customerName: 'Zoë Ångström', vehicle: '1989 Wartburg', concern: 'judder' }], problem: null })
    expect(readFileSync(join(dir, 'bayalert.db')).equals(before)).toBe(true)
  })
  it('no store yet: nothing known, no problem; an unreadable one: nothing known and why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bayalert-known-'))
    dirs.push(dir)
    expect(knownCustomerData(dir)).toEqual({ known: [], problem: null })
    writeFileSync(join(dir, 'bayalert.db'), 'not a database at all, just text that is long enough to have a header')
    const r = knownCustomerData(dir)
    expect(r.known).toEqual([])
    expect(r.problem).toMatch(/^the local queue could not be read \(.*not a database.*\); customer fields are still removed/)
  })
})
