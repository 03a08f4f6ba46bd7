// `npm run backend` options: what each argument and variable turns into, and bad values stop the start with a
// message instead of silently becoming NaN or false.
import { describe, expect, it } from 'vitest'
import { parseCliOptions } from './cli-options.js'

const argv = (...a: string[]) => ['node', 'cli.ts', ...a]

describe('npm run backend options', () => {
  it('defaults: port 54321, dedicated cluster, public realtime access on', () => {
    const o = parseCliOptions(argv(), {})
    expect(o.backend).toMatchObject({ port: 54321, dedicatedCluster: true, privateOnly: false })
    expect(o.quiet).toBe(false)
    expect(o.dataDir).toBeUndefined()
  })

  it('BAYALERT_BACKEND_PRIVATE_ONLY=1 / true / yes or --private-only turn public access off; 0 / false / empty keep it on', () => {
    for (const v of ['1', 'true', 'YES']) expect(parseCliOptions(argv(), { BAYALERT_BACKEND_PRIVATE_ONLY: v }).backend.privateOnly).toBe(true)
    for (const v of ['0', 'false', '', 'no']) expect(parseCliOptions(argv(), { BAYALERT_BACKEND_PRIVATE_ONLY: v }).backend.privateOnly).toBe(false)
    expect(parseCliOptions(argv('--private-only'), {}).backend.privateOnly).toBe(true)
  })

  it('a private-only value that is neither on nor off is an error that names the variable', () => {
    expect(() => parseCliOptions(argv(), { BAYALERT_BACKEND_PRIVATE_ONLY: 'maybe' })).toThrow(/BAYALERT_BACKEND_PRIVATE_ONLY must be 1 or 0/)
  })

  it('numbers from flags and env; the flag wins over the env; a non-number is an error', () => {
    const o = parseCliOptions(argv('--port', '0', '--token-lifetime=5', '--system-delay', '1500', '--join-error-delay', '5000', '--quiet', '--dir', '/tmp/x'), {
      BAYALERT_BACKEND_PORT: '9999',
    })
    expect(o.backend).toMatchObject({ port: 0, tokenLifetimeSec: 5, systemMessageDelayMs: 1500, joinErrorDelayMs: 5000, dataDir: '/tmp/x' })
    expect(o.quiet).toBe(true)
    expect(parseCliOptions(argv(), { BAYALERT_BACKEND_PORT: '6000', BAYALERT_BACKEND_DIR: '/d' }).backend).toMatchObject({ port: 6000, dataDir: '/d' })
    expect(() => parseCliOptions(argv('--port', 'abc'), {})).toThrow(/port must be a non-negative number/)
    expect(() => parseCliOptions(argv('--rest-latency', '-5'), {})).toThrow(/--rest-latency must be a non-negative number/)
  })
})
