// The real OsQuery: the command runner plus a file read, for this process's platform and environment.
import { readFile } from 'node:fs/promises'
import { execCommand } from './command-runner.js'
import type { OsQuery } from './types.js'

export function realOsQuery(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): OsQuery {
  return {
    run: execCommand,
    platform,
    env,
    async readText(path) {
      try {
        return await readFile(path, 'utf8')
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw e
      }
    },
  }
}
