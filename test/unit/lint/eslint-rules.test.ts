/** @vitest-environment node */
// The project's own lint rules (eslint.config.js), run through ESLint's Node API on fixture files placed, by
// filePath, where the rule applies or must not: raw ipcMain/ipcRenderer only in the typed wrapper and the
// preload, and no Electron in the engine.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const eslint = new ESLint({ cwd: root })
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/lint/${name}`, import.meta.url), 'utf8')

/** The messages ESLint reports for `code` as if it were the file at `filePath` (relative to the repo). */
async function lintAs(code: string, filePath: string) {
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` })
  return result!.messages.map((m) => ({ rule: m.ruleId, message: m.message, line: m.line }))
}

describe('raw ipcMain / ipcRenderer', () => {
  it('a raw ipcMain import in a host file fails lint, saying to use the typed wrapper', async () => {
    const messages = await lintAs(fixture('raw-ipc-main.ts'), 'src/main/queue-window.ts')
    expect(messages).toEqual([{ rule: 'no-restricted-imports', line: 2, message: expect.stringMatching(/'ipcMain'.*sender check and the argument schemas.*typed-ipc\.ts/s) }])
  })

  it('ipcRenderer reached through the module object fails lint too', async () => {
    const messages = await lintAs(fixture('raw-ipc-renderer.ts'), 'src/renderer/bridge/ipc-bridge.ts')
    // The namespace import is refused (it carries ipcRenderer), and so is the member access itself.
    expect(messages.map((m) => [m.rule, m.line])).toEqual([
      ['no-restricted-imports', 2],
      ['no-restricted-syntax', 4],
    ])
    expect(messages.every((m) => m.message.includes('INVOKE_CONTRACT'))).toBe(true)
  })

  it('the typed wrapper and the preload may use them', async () => {
    expect(await lintAs(fixture('raw-ipc-main.ts'), 'src/main/typed-ipc.ts')).toEqual([])
    expect(await lintAs(fixture('raw-ipc-renderer.ts'), 'src/preload/index.ts')).toEqual([])
  })

  it('a host file that registers through handle() is clean', async () => {
    expect(await lintAs(fixture('typed-handle.ts'), 'src/main/queue-window.ts')).toEqual([])
  })

  it('tests may drive the Electron mock directly (the rule guards src/ only)', async () => {
    expect(await lintAs(fixture('raw-ipc-main.ts'), 'test/unit/main/some.test.ts')).toEqual([])
  })
})

describe('no Electron in the engine', () => {
  it('static and dynamic imports of electron and electron-* fail lint in src/core', async () => {
    const messages = await lintAs(fixture('electron-in-core.ts'), 'src/core/alerts/notify.ts')
    expect(messages.map((m) => [m.rule, m.line])).toEqual([
      ['no-restricted-imports', 2],
      ['no-restricted-imports', 3],
      ['no-restricted-syntax', 6],
    ])
    expect(messages.every((m) => m.message.includes('plain Node'))).toBe(true)
  })

  it('the same imports are fine in the Electron host', async () => {
    expect(await lintAs(fixture('electron-in-core.ts'), 'src/main/notify.ts')).toEqual([])
  })
})
