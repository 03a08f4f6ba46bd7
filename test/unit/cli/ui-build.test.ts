// Headless builds the renderer bundle when it is missing: which files count as "built", a real build into
// a temp dir (the renderer environment only), and a failing build that says why.
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildUi, ensureUiBuilt, missingUiFiles, UI_ENTRY_FILES } from '../../../src/cli/ui-build.js'

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

  it('headless: builds a missing bundle with one progress line, and leaves a complete one alone', async () => {
    const d = join(temp(), 'renderer')
    const said: string[] = []
    await expect(ensureUiBuilt(d, (l) => said.push(l))).resolves.toBe(true)
    expect(said).toEqual([`building the queue UI (first run: vite build of src/renderer into ${d})…`])
    expect(missingUiFiles(d)).toEqual([])
    let builds = 0
    await expect(ensureUiBuilt(d, (l) => said.push(l), async () => void builds++)).resolves.toBe(true)
    expect([builds, said.length]).toEqual([0, 1])
  }, 120_000)

  it('headless: a failed build is a second line with the cause, and headless goes on', async () => {
    const said: string[] = []
    const ok = await ensureUiBuilt(join(temp(), 'renderer'), (l) => said.push(l), async () => {
      throw new Error('vite build failed (exit code 1): disk full')
    })
    expect(ok).toBe(false)
    expect(said).toHaveLength(2)
    expect(said[1]).toBe('could not build the queue UI: vite build failed (exit code 1): disk full')
  })
})
