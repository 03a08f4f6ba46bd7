// What `npm run dist` would put in the app, computed with electron-builder's own file selection code
// (app-builder-lib 26, internal modules: electron-builder is pinned) without packaging — packaging needs an
// Electron binary and downloads this machine does not have:
//  - app files: getMainFileMatchers (the `files` globs plus electron-builder's default exclusions) walked by
//    computeFileSets, as PlatformPackager.copyAppFiles does;
//  - extraResources: getFileMatchers('extraResources') walked the same way;
//  - the native module: better-sqlite3's directory walked by NodeModuleCopyHelper with the node_modules
//    matcher and excluded extensions electron-builder applies to every dependency. The list of dependencies
//    itself comes from a package-manager query in electron-builder; here it is better-sqlite3 alone;
//  - unpacked from the asar: the asarUnpack matcher's filter, or smartUnpack's isLibOrExe, as AsarPackager does.
import { lstatSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative, sep } from 'node:path'

const require = createRequire(import.meta.url)
const { getConfig } = require('app-builder-lib/out/util/config/config') as any
const { getMainFileMatchers, getNodeModuleFileMatcher, getFileMatchers, excludedExts } = require('app-builder-lib/out/fileMatcher') as any
const { computeFileSets } = require('app-builder-lib/out/util/appFileCopier') as any
const { NodeModuleCopyHelper } = require('app-builder-lib/out/util/NodeModuleCopyHelper') as any
const { isLibOrExe } = require('app-builder-lib/out/asar/unpackDetector') as any
const { DebugLogger } = require('builder-util') as any

export interface PackagedFiles {
  /** Paths inside app.asar (relative to the app root), e.g. out/main/index.cjs. */
  app: string[]
  /** Paths inside app.asar that are unpacked to app.asar.unpacked. */
  unpacked: string[]
  /** Paths under resources/ (process.resourcesPath), e.g. sounds/request.wav. */
  resources: string[]
}

const posix = (p: string) => p.split(sep).join('/')

export async function packagedFiles(root: string): Promise<PackagedFiles> {
  const config = await getConfig(root, null, null)
  const outDir = join(root, config.directories?.output ?? 'dist')
  const expand = (s: string) => s
  const info = {
    projectDir: root,
    appDir: root,
    buildResourcesDir: join(root, config.directories?.buildResources ?? 'build'),
    config,
    debugLogger: new DebugLogger(false),
    isPrepackedAppAsar: false,
    areNodeModulesHandledExternally: false,
    appInfo: { type: 'module' },
    getWorkspaceRoot: async () => root,
  }
  const platformPackager = { info, config, platform: { name: 'linux' } }
  const APP = join(root, '__app__')
  const RES = join(root, '__resources__')

  const mainMatchers = getMainFileMatchers(root, APP, expand, {}, platformPackager, outDir, false)
  const appSets = await computeFileSets(mainMatchers, null, platformPackager, false)
  const app: string[] = []
  const sources = new Map<string, string>() // app path → source path
  for (const set of appSets) {
    for (const file of set.files) {
      if (!set.metadata.get(file)?.isFile()) continue
      const rel = posix(relative(set.src, file))
      app.push(rel)
      sources.set(rel, file)
    }
  }

  const moduleMatcher = getNodeModuleFileMatcher(root, APP, expand, {}, info)
  const nodeModuleExcludedExts = ['.o', '.obj', ...String(excludedExts).split(',').map((e) => `.${e}`), '.pdb', '.dll', '.exe']
  const dep = { name: 'better-sqlite3', dir: join(root, 'node_modules', 'better-sqlite3') }
  const copier = new NodeModuleCopyHelper(new (moduleMatcher.constructor)(dep.dir, APP, expand, moduleMatcher.patterns), info)
  const depFiles: string[] = await copier.collectNodeModules(dep, nodeModuleExcludedExts, 'node_modules/better-sqlite3')
  for (const file of depFiles) {
    if (!lstatSync(file).isFile()) continue
    const rel = `node_modules/better-sqlite3/${posix(relative(dep.dir, file))}`
    app.push(rel)
    sources.set(rel, join(root, rel))
  }

  const unpackMatchers = getFileMatchers(config, 'asarUnpack', APP, { macroExpander: expand, customBuildOptions: {}, globalOutDir: outDir, defaultSrc: root })
  const unpackFilter = unpackMatchers?.[0]?.createFilter()
  const smartUnpack = config.asar?.smartUnpack !== false
  const unpacked = app.filter((rel) => {
    const src = sources.get(rel)!
    return Boolean(unpackFilter?.(src, lstatSync(src))) || (smartUnpack && rel.startsWith('node_modules/') && isLibOrExe(src))
  })

  const resourceMatchers = getFileMatchers(config, 'extraResources', RES, { macroExpander: expand, customBuildOptions: {}, globalOutDir: outDir, defaultSrc: root }) ?? []
  const resources: string[] = []
  for (const set of await computeFileSets(resourceMatchers, null, platformPackager, false)) {
    for (const file of set.files) {
      if (set.metadata.get(file)?.isFile()) resources.push(posix(relative(RES, join(set.destination, relative(set.src, file)))))
    }
  }
  return { app: app.sort(), unpacked: unpacked.sort(), resources: resources.sort() }
}
