// Preloaded (node --require) into Electron's own installer (node_modules/electron/install.js) by the
// launcher, for two things the installer does not give a caller:
//  1. the real reason a download failed: Node's fetch throws "TypeError: fetch failed" and keeps the cause
//     (getaddrinfo ENOTFOUND github.com, ECONNREFUSED, a certificate error) in err.cause, which install.js
//     drops when it prints err.stack. The cause is appended to the message.
//  2. progress: @electron/get downloads with the global fetch; the response body is counted and reported as
//     "@bayalert-progress <bytes> <total>" lines on stdout, which the launcher turns into its progress line.
//     After the download, "@bayalert-extracting" every few seconds while the installer unpacks the zip (silent,
//     and slow on some disks), so the launcher's no-progress timeout does not stop a healthy install.
// Nothing else changes: the request, the checksum check and the extraction are the installer's own.
'use strict'
const realFetch = globalThis.fetch

function describeCause(err) {
  const parts = []
  for (let c = err && err.cause, depth = 0; c && depth < 4; c = c.cause, depth++) {
    parts.push(c.code && !String(c.message).includes(c.code) ? `${c.code} ${c.message}` : String(c.message))
  }
  return parts.join(': ')
}

globalThis.fetch = async function fetchWithCauseAndProgress(...args) {
  let response
  try {
    response = await realFetch(...args)
  } catch (err) {
    const cause = describeCause(err)
    if (cause && err instanceof Error) {
      const message = `${err.message} (${cause})`
      err.stack = String(err.stack).replace(err.message, message)
      err.message = message
    }
    throw err
  }
  if (!response.ok || !response.body) return response
  const total = Number(response.headers.get('content-length')) || 0
  let seen = 0
  let lastReport = 0
  const counter = new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength
      const now = Date.now()
      if (now - lastReport >= 250) {
        lastReport = now
        process.stdout.write(`@bayalert-progress ${seen} ${total}\n`)
      }
      controller.enqueue(chunk)
    },
    flush() {
      process.stdout.write(`@bayalert-progress ${seen} ${total}\n`)
      process.stdout.write('@bayalert-extracting\n')
      // unref: never what keeps the installer running.
      setInterval(() => process.stdout.write('@bayalert-extracting\n'), 5000).unref()
    },
  })
  return new Response(response.body.pipeThrough(counter), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
}
