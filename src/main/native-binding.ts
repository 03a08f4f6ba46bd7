// Which better-sqlite3 native build the Electron main process loads. node_modules holds the build for Node's
// ABI (tests and tools use it); Electron needs one for its own ABI:
// - packaged: electron-builder rebuilt better-sqlite3 for Electron inside the app (unpacked from the asar),
//   so better-sqlite3 finds it itself. The environment is ignored here: with the RunAsNode and NODE_OPTIONS
//   fuses off, a variable must not be a way to make the installed app load a native module of one's choosing.
// - development: `npm start` makes a build for Electron's ABI in .cache/better-sqlite3/ and passes its path.

/** Set by scripts/launcher/plan.mjs (SQLITE_BINDING_ENV there). */
export const SQLITE_BINDING_ENV = 'BAYALERT_SQLITE_BINDING'

export function sqliteNativeBinding(isPackaged: boolean, env: NodeJS.ProcessEnv): string | undefined {
  if (isPackaged) return undefined
  const path = env[SQLITE_BINDING_ENV]?.trim()
  return path ? path : undefined
}
