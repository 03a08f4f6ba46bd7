/** @vitest-environment node */
import { describe, expect, it, vi } from 'vitest'
vi.mock('electron', () => import('../../mocks/electron.js'))
const { createAppRequestHandler, resolveAppPath } = await import('../../../src/main/app-protocol.js')

const roots = { renderer: '/srv/out/renderer', sounds: '/srv/resources/sounds' }

describe('resolveAppPath', () => {
  it('maps bundle files and sounds', () => {
    expect(resolveAppPath('app://bundle/', roots)).toBe('/srv/out/renderer/index.html')
    expect(resolveAppPath('app://bundle/assets/index-1.js?x=1#y', roots)).toBe('/srv/out/renderer/assets/index-1.js')
    expect(resolveAppPath('app://bundle/sounds/request.wav', roots)).toBe('/srv/resources/sounds/request.wav')
  })
  it('clamps dot segments the URL parser removes to the root (never above it)', () => {
    expect(resolveAppPath('app://bundle/../../etc/passwd', roots)).toBe('/srv/out/renderer/etc/passwd')
    expect(resolveAppPath('app://bundle/%2e%2e/%2e%2e/etc/passwd', roots)).toBe('/srv/out/renderer/etc/passwd')
  })
  it.each([
    'app://bundle/..%2f..%2fetc%2fpasswd',
    'app://bundle/assets/..%2f..%2f..%2fsecret',
    'app://bundle/sounds/..%2f..%2fpackage.json',
    'app://bundle/a%5c..%5c..%5cwin.ini',
    'app://bundle/a%00.html',
    'app://bundle/%E0%A4%A',
    'app://other/index.html',
    'file:///etc/passwd',
    'app://bundle/sounds/',
  ])('refuses %s', (url) => {
    expect(resolveAppPath(url, roots)).toBeNull()
  })
})

describe('createAppRequestHandler', () => {
  it('serves files with CSP and content type, 404 for escapes and missing files', async () => {
    const fetchFile = vi.fn(async (u: string) => (u.endsWith('index.html') ? new Response('<html>') : new Response('', { status: 404 })))
    const h = createAppRequestHandler(roots, fetchFile)
    const ok = await h(new Request('app://bundle/index.html'))
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toContain('text/html')
    expect(ok.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(await ok.text()).toBe('<html>')
    expect(fetchFile).toHaveBeenCalledWith('file:///srv/out/renderer/index.html')
    expect((await h(new Request('app://bundle/..%2f..%2fetc%2fpasswd'))).status).toBe(404)
    expect((await h(new Request('app://bundle/missing.js'))).status).toBe(404)
  })
})
