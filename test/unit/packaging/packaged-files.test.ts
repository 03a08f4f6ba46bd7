/** @vitest-environment node */
// What `npm run dist` packs, from a fresh `vite build`, selected by electron-builder's own file matching
// (packaged-files.ts says which parts): the app (main, preload, renderer), the native module unpacked from
// the asar, and the tray icons and sounds as extra resources — and nothing of the sources, tests or caches.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createBuilder } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { packagedFiles, type PackagedFiles } from './packaged-files.js'

// A copy of the project (every tracked file, node_modules linked), built there: the e2e test and anyone's
// `npm start` read the repo's out/, which a rebuild here would empty under their feet. The copy also gets the
// local clutter a developer's checkout has (the native-module cache, demo data) to prove none of it is packed.
let root: string
let files: PackagedFiles

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'bayalert-pack-'))
  const tracked = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' }).split('\0').filter(Boolean)
  for (const f of tracked) {
    mkdirSync(dirname(join(root, f)), { recursive: true })
    try {
      copyFileSync(resolve(f), join(root, f))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err // deleted in the working tree
    }
  }
  symlinkSync(resolve('node_modules'), join(root, 'node_modules'))
  for (const clutter of ['.cache/better-sqlite3/electron-150-v12.11.1-linux-x64/better_sqlite3.node', '.bayalert/demo/bayalert.db']) {
    mkdirSync(dirname(join(root, clutter)), { recursive: true })
    writeFileSync(join(root, clutter), 'x')
  }
  const out = (env: string) => join(root, 'out', env)
  const builder = await createBuilder({
    configFile: resolve('vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: out('renderer') },
    environments: { main: { build: { outDir: out('main') } }, preload: { build: { outDir: out('preload') } } },
  })
  await builder.buildApp()
  files = await packagedFiles(root)
}, 120_000)
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('the packaged app (app.asar)', () => {
  it("holds main, preload and the renderer pages, and package.json's main is one of them", () => {
    expect(files.app).toEqual(expect.arrayContaining(['package.json', 'out/main/index.cjs', 'out/preload/index.cjs', 'out/renderer/index.html', 'out/renderer/sound.html', 'out/renderer/bridge.js']))
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    expect(files.app).toContain(pkg.main)
  })

  it('holds every script and stylesheet the renderer pages load', () => {
    for (const page of ['index.html', 'sound.html']) {
      const html = readFileSync(join(root, 'out/renderer', page), 'utf8')
      const refs = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => `out/renderer/${m[1]}`)
      expect(refs.length).toBeGreaterThan(0)
      expect(files.app).toEqual(expect.arrayContaining(refs))
    }
  })

  it('holds nothing of the sources, tests, caches, source maps or dev dependencies', () => {
    const stray = files.app.filter(
      (f) => /^(src|test|scripts|resources|supabase|\.cache|\.bayalert|release)\//.test(f) || /\.(map|ts)$/.test(f) || (f.startsWith('node_modules/') && !f.startsWith('node_modules/better-sqlite3/')),
    )
    expect(stray).toEqual([])
  })

  it('holds better-sqlite3 (its JS and one native build), without its C sources or build leftovers', () => {
    const sqlite = files.app.filter((f) => f.startsWith('node_modules/better-sqlite3/'))
    expect(sqlite).toEqual(expect.arrayContaining(['node_modules/better-sqlite3/package.json', 'node_modules/better-sqlite3/lib/index.js', 'node_modules/better-sqlite3/build/Release/better_sqlite3.node']))
    expect(sqlite.filter((f) => /\/(deps|src|obj|obj\.target)\//.test(f) || f.endsWith('test_extension.node') || f.endsWith('.a'))).toEqual([])
    expect(files.app.filter((f) => f.endsWith('.node'))).toEqual(['node_modules/better-sqlite3/build/Release/better_sqlite3.node'])
  })

  it('unpacks the native module from the asar (dlopen needs a real file), and nothing else', () => {
    expect(files.unpacked).toEqual(['node_modules/better-sqlite3/build/Release/better_sqlite3.node'])
  })
})

describe('extra resources (process.resourcesPath)', () => {
  it('hold the alert sounds', () => {
    expect(files.resources).toEqual(expect.arrayContaining(['sounds/request.wav', 'sounds/health.wav']))
  })

  it('hold a tray icon for every link state, with and without attention: PNG @1x/@2x, .ico, macOS templates', () => {
    for (const state of ['live', 'connecting', 'degraded', 'offline', 'signed-out']) {
      for (const variant of [state, `${state}-attention`]) {
        expect(files.resources).toEqual(
          expect.arrayContaining([`tray/${variant}.png`, `tray/${variant}@2x.png`, `tray/${variant}.ico`, `tray/${variant}Template.png`, `tray/${variant}Template@2x.png`]),
        )
      }
    }
  })

  it('hold only what the app reads (no generator script, no sources)', () => {
    expect(files.resources.filter((f) => !/^(sounds\/[\w-]+\.wav|tray\/[\w@-]+\.(png|ico))$/.test(f))).toEqual([])
  })
})

describe('installer settings the running app depends on', () => {
  it('the Linux desktop file name is the appId (badges and window grouping), the Windows AUMID is the appId main sets', async () => {
    const { getConfig } = (await import('app-builder-lib/out/util/config/config.js' as string)) as { getConfig: (dir: string, a: null, b: null) => Promise<any> }
    const config = await getConfig(root, null, null)
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    expect(pkg.desktopName).toBe(`${config.appId}.desktop`)
    expect(readFileSync(join(root, 'src/main/index.ts'), 'utf8')).toContain(`const APP_ID = '${config.appId}'`)
    expect(config.nsis).toMatchObject({ perMachine: false, createStartMenuShortcut: true })
    expect(config.mac.extendInfo).toMatchObject({ LSUIElement: true })
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    })
  })
})
