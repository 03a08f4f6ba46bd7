// pretest guard: better-sqlite3 must be built for this Node's ABI. A local electron-builder run
// (npmRebuild) rebuilds it for Electron in place, after which plain Node cannot load it
// (WiseLibs/better-sqlite3#545: "compiled against a different Node.js version"). Probe in a child process and rebuild from source on failure.
import { spawnSync } from 'node:child_process'

const probe = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], {
  encoding: 'utf8',
})
if (probe.status === 0) process.exit(0)
console.warn(`better-sqlite3 does not load under Node ${process.version}; rebuilding it for this ABI.`)
console.warn(probe.stderr.split('\n').find((l) => l.includes('NODE_MODULE_VERSION') || l.includes('Error')) ?? '')
const rebuild = spawnSync('npm', ['rebuild', 'better-sqlite3'], { stdio: 'inherit' })
process.exit(rebuild.status ?? 1)
