/// <reference types="vitest/config" />
// One file builds the three Electron targets (Vite Environment API) and configures vitest.
// electron-vite cannot read a file named vite.config.ts (electron-vite 6's loadConfigFromFile throws
// "config file cannot be named vite.config.ts"; it reads only electron.vite.config.*), so this is plain Vite: main and preload are 'server' environments, the renderer is the client.
import { defineConfig } from 'vite'
import { builtinModules } from 'node:module'
import { resolve } from 'node:path'

// Natives stay external and unbundled: better-sqlite3 loads build/Release/*.node through `bindings`.
const nodeExternals = [
  'electron',
  /^electron\//,
  'better-sqlite3',
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
]

export default defineConfig({
  root: 'src/renderer',
  base: './',
  build: { outDir: resolve('out/renderer'), emptyOutDir: true },
  environments: {
    client: {
      // Four pages/entries: the queue window, the wallboard, the hidden sound window, and the loopback bridge script that
      // src/cli/ui-server.ts injects for the headless host (a stable name, so the server can find it).
      build: {
        rollupOptions: {
          input: {
            index: resolve('src/renderer/index.html'),
            wallboard: resolve('src/renderer/wallboard.html'),
            sound: resolve('src/renderer/sound.html'),
            bridge: resolve('src/renderer/bridge/http-bridge.ts'),
          },
          output: { entryFileNames: (c) => (c.name === 'bridge' ? 'bridge.js' : 'assets/[name]-[hash].js') },
        },
      },
    },
    main: {
      consumer: 'server',
      resolve: { noExternal: true }, // electron-store 11 is ESM-only: bundle it into the CJS main
      build: {
        outDir: resolve('out/main'),
        target: 'node22',
        emptyOutDir: true,
        rollupOptions: {
          input: resolve('src/main/index.ts'),
          external: nodeExternals,
          output: { format: 'cjs', entryFileNames: '[name].cjs' },
        },
      },
    },
    preload: {
      consumer: 'server',
      resolve: { noExternal: true }, // a sandboxed preload must be one self-contained CJS file
      build: {
        outDir: resolve('out/preload'),
        target: 'chrome130',
        emptyOutDir: true,
        rollupOptions: {
          input: resolve('src/preload/index.ts'),
          external: ['electron'],
          output: { format: 'cjs', entryFileNames: '[name].cjs' },
        },
      },
    },
  },
  builder: {},
  test: {
    root: resolve('.'),
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers only fight over the CPU and make timing-sensitive tests flaky.
    maxWorkers: 2,
    env: { ELECTRON_OVERRIDE_DIST_PATH: '/nonexistent-electron-dist' },
  },
})
