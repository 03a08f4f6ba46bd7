// Where the built bundle and the shipped resources live. main is bundled to out/main/index.cjs, so
// __dirname is out/main. Sounds and tray icons ship via electron-builder extraResources (outside the asar)
// and are read from the source tree when unpackaged (process.resourcesPath only holds them once packaged).
import { join } from 'node:path'

export interface AppPaths {
  preload: string
  renderer: string
  sounds: string
  trayIcons: string
}

export function appPaths(mainDir: string, isPackaged: boolean, resourcesPath: string, appPath: string): AppPaths {
  const resources = isPackaged ? resourcesPath : join(appPath, 'resources')
  return {
    preload: join(mainDir, '../preload/index.cjs'),
    renderer: join(mainDir, '../renderer'),
    sounds: join(resources, 'sounds'),
    trayIcons: join(resources, 'tray'),
  }
}
