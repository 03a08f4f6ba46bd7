// Headless builds the renderer bundle when it is missing: which files count as "built", a real build into
// a temp dir (the renderer environment only), and a failing build that says why.
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildUi, missingUiFiles, UI_ENTRY_FILES } from '../../../src/cli/ui-build.js'

const dirs: string[] = []
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'bayalert-ui-build-'))
  dirs.push(d)
  return d
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('ui build', () => {
  it('a bundle is missing until both pages and the bridge are there (an old build without the wallboard counts as missing)', () => {
    const d = temp()
    expect(missingUiFiles(d)).toEqual(['index.html', 'wallboard.html', 'bridge.js'])
    writeFileSync(join(d, 'index.html'), '')
    writeFileSync(join(d, 'bridge.js'), '')
    expect(missingUiFiles(d)).toEqual(['wallboard.html'])
    writeFileSync(join(d, 'wallboard.html'), '')
    expect(missingUiFiles(d)).toEqual([])
    expect(missingUiFiles(join(d, 'nope'))).toEqual([...UI_ENTRY_FILES])
  })

  it('builds the renderer (pages, bridge, assets) into the directory given, and nothing of Electron', async () => {
    const d = temp()
    await buildUi(d)
    expect(missingUiFiles(d)).toEqual([])
    const files = readdirSync(d)
    expect(files).toEqual(expect.arrayContaining(['index.html', 'wallboard.html', 'bridge.js', 'assets']))
    expect(files.some((f) => /\.cjs$/.test(f))).toBe(false) // main/preload are not built here
  }, 120_000)

  it('a build that cannot write says so, with the cause', async () => {
    const d = temp()
    const file = join(d, 'a-file')
    writeFileSync(file, 'x')
    await expect(buildUi(join(file, 'out'))).rejects.toThrow(/^vite build failed \(exit code 1\): [^\x1b]*a-file\/out/)
  }, 120_000)
})
