// Validates electron-builder.yml against electron-builder's own schema without packaging
// (app-builder-lib's scheme.json through its own validateConfiguration). These are internal paths: electron-builder is pinned.
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config')
const { DebugLogger } = require('builder-util')

getConfig(process.cwd(), null, null)
  .then((config) => validateConfiguration(config, new DebugLogger(false)))
  .then(
    () => console.log('electron-builder config OK'),
    (error) => {
      console.error(`electron-builder config invalid: ${error.message}`)
      process.exit(1)
    },
  )
