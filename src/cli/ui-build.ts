// Headless serves the queue UI and the wallboard from the renderer bundle (out/renderer). A fresh clone has
// none, and "not built yet: run npx vite build" in the browser is a dead end for someone who only ran
// `npm run headless`; so headless builds it first (once, ~10 s) and says so in one line.
// The build runs in a child process: Vite prints its own progress on stdout, which must stay pure JSON
// under --json, and its memory is given back when it ends.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The files without which a page cannot load (the pages themselves and the loopback bridge). */
export const UI_ENTRY_FILES = ['index.html', 'wallboard.html', 'bridge.js'] as const

export function missingUiFiles(rendererDir: string): string[] {
  return UI_ENTRY_FILES.filter((f) => !existsSync(join(rendererDir, f)))
}

// The renderer environment only (not the Electron main/preload bundles), into the directory given.
// A failure is reported as one marked line (its message), not a stack trace.
const ERROR_MARK = 'bayalert-ui-build-error: '
const BUILD_SCRIPT = `
try {
  const { createBuilder } = await import('vite')
  const builder = await createBuilder({ logLevel: 'warn', build: { outDir: process.env.BAYALERT_UI_OUT_DIR } })
  await builder.build(builder.environments.client)
} catch (e) {
  process.stderr.write(${JSON.stringify(ERROR_MARK)} + String((e && e.message) || e).split('\\n').slice(0, 4).join(' ') + '\\n')
  process.exit(1)
}
`

/** Builds the renderer into `outDir`; rejects with the build's own last output lines when it fails. */
export function buildUi(outDir: string, timeoutMs = 300_000): Promise<void> {
  return new Promise((resolveBuild, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', BUILD_SCRIPT], {
      cwd: REPO_ROOT,
      env: { ...process.env, BAYALERT_UI_OUT_DIR: outDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-4000)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (code === 0 && missingUiFiles(outDir).length === 0) return resolveBuild()
      const why = signal ? `stopped by ${signal}${signal === 'SIGKILL' ? ` after ${timeoutMs / 1000} s` : ''}` : code === 0 ? `it did not write ${missingUiFiles(outDir).join(', ')}` : `exit code ${code}`
      // The build colours its messages; a terminal line of ours carries none of its escape codes.
      const lines = output.replace(/\x1b\[[0-9;]*m/g, '').trim().split('\n')
      const marked = lines.find((l) => l.startsWith(ERROR_MARK))?.slice(ERROR_MARK.length)
      const cause = (marked ?? lines.slice(-3).join(' | ')).slice(0, 500)
      reject(new Error(`vite build failed (${why})${cause ? `: ${cause}` : ''}`))
    })
  })
}

/**
 * Builds the bundle into `rendererDir` when a page or the bridge is missing, saying so in one line (and in a
 * second one if the build fails: the server then runs anyway and its pages say the UI is not built).
 */
export async function ensureUiBuilt(rendererDir: string, say: (line: string) => void, build: (outDir: string) => Promise<void> = buildUi): Promise<boolean> {
  if (missingUiFiles(rendererDir).length === 0) return true
  say(`building the queue UI (first run: vite build of src/renderer into ${rendererDir})…`)
  try {
    await build(rendererDir)
    return true
  } catch (e) {
    say(`could not build the queue UI: ${(e as Error).message}`)
    return false
  }
}
