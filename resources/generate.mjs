#!/usr/bin/env node
// Generates every icon and sound BayAlert ships, from the shapes and tones below, with no image or audio
// tools and nothing downloaded: PNGs are written by hand (zlib deflate + CRC32), .ico files wrap PNGs
// (Vista+ ICO format), .icns files wrap PNGs (the PNG-based ICNS types macOS reads since 10.7), WAVs are
// 16-bit PCM of synthesised tones. Everything here is ours to ship (resources/LICENSE).
//   tray/<state>[-attention].png, @2x.png   Linux (22 px, 44 px on HiDPI)
//   tray/<state>[-attention].ico            Windows tray (16, 20, 24, 32 px: 100-200 % scaling)
//   tray/<state>[-attention]Template.png, Template@2x.png   macOS menu bar (16/32 px, black + alpha: macOS
//                                           tints template images for light and dark menu bars)
//   tray/overlay.png, tray/app.png          Windows taskbar overlay; window icon
//   build/icon.png (512), build/icons/NxN.png, build/icon.ico, build/icon.icns   the app icon (installers)
//   sounds/request.wav, bell.wav, pulse.wav, health.wav
// Run: npm run icons   (outputs are committed; rerun after changing this file). Optional argument: the
// output directory instead of resources/ (the tests regenerate into a temporary one and compare).
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'

const here = dirname(fileURLToPath(import.meta.url))
const outRoot = process.argv[2] ? resolve(process.argv[2]) : here
const trayDir = join(outRoot, 'tray')
const soundDir = join(outRoot, 'sounds')
const buildDir = join(outRoot, 'build')
for (const dir of [trayDir, soundDir, buildDir, join(buildDir, 'icons')]) mkdirSync(dir, { recursive: true })

// ---- PNG ------------------------------------------------------------------------------------------
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32(buf) {
  let c = 0xffffffff
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
function chunk(type, data) {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(td))
  return Buffer.concat([len, td, crc])
}
/** rgba: Uint8Array(size*size*4) */
function png(size, rgba) {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0)
  ihdr.writeUInt32BE(size, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 6 // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1))
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0 // filter: none
    Buffer.from(rgba.buffer, y * size * 4, size * 4).copy(raw, y * (size * 4 + 1) + 1)
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}
function ico(pngs) {
  const header = Buffer.alloc(6)
  header.writeUInt16LE(0, 0)
  header.writeUInt16LE(1, 2) // icon
  header.writeUInt16LE(pngs.length, 4)
  const dir = Buffer.alloc(16 * pngs.length)
  let offset = 6 + dir.length
  pngs.forEach(({ size, data }, i) => {
    const o = i * 16
    dir[o] = size >= 256 ? 0 : size
    dir[o + 1] = size >= 256 ? 0 : size
    dir.writeUInt16LE(1, o + 4) // planes
    dir.writeUInt16LE(32, o + 6) // bpp
    dir.writeUInt32LE(data.length, o + 8)
    dir.writeUInt32LE(offset, o + 12)
    offset += data.length
  })
  return Buffer.concat([header, dir, ...pngs.map((p) => p.data)])
}
// ICNS: 'icns', total length, then (type, length incl. its 8-byte header, PNG) per entry; big-endian.
const ICNS_TYPES = { icp4: 16, icp5: 32, ic11: 32, ic12: 64, ic07: 128, ic13: 256, ic08: 256, ic14: 512, ic09: 512, ic10: 1024 }
function icns(pngOfSize) {
  const entries = Object.entries(ICNS_TYPES).map(([type, size]) => {
    const data = pngOfSize(size)
    const head = Buffer.alloc(8)
    head.write(type, 0, 'ascii')
    head.writeUInt32BE(data.length + 8, 4)
    return Buffer.concat([head, data])
  })
  const body = Buffer.concat(entries)
  const head = Buffer.alloc(8)
  head.write('icns', 0, 'ascii')
  head.writeUInt32BE(body.length + 8, 4)
  return Buffer.concat([head, body])
}

// ---- drawing: shapes in a unit square, 4×4 supersampling for anti-aliasing -----------------------
const COLORS = {
  live: [47, 191, 113],
  connecting: [224, 179, 58],
  degraded: [240, 138, 36],
  offline: [229, 72, 77],
  'signed-out': [125, 136, 149],
  red: [229, 42, 48],
  white: [255, 255, 255],
}
const disc = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r
const ring = (cx, cy, r0, r1) => (x, y) => {
  const d = (x - cx) ** 2 + (y - cy) ** 2
  return d <= r1 * r1 && d >= r0 * r0
}
const rect = (x0, y0, x1, y1) => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1
const roundRect = (x0, y0, x1, y1, r) => (x, y) => {
  if (!rect(x0, y0, x1, y1)(x, y)) return false
  const cx = Math.min(Math.max(x, x0 + r), x1 - r)
  const cy = Math.min(Math.max(y, y0 + r), y1 - r)
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
}
const slash = (w) => (x, y) => Math.abs(x - y) / Math.SQRT2 <= w / 2 && x > 0.18 && x < 0.82

/**
 * macOS template image: the same shapes in black, and the white details (the live dot, the "!" of degraded,
 * the ring around the attention dot) cut out, since macOS draws template images from their alpha alone.
 */
const templateLayers = (layers) => layers.map(([shape, rgb]) => [shape, rgb === COLORS.white ? CLEAR : [0, 0, 0]])
const CLEAR = null

/** layers: [shape, rgb | CLEAR][] painted in order; CLEAR erases what is below */
function raster(size, layers) {
  const out = new Uint8Array(size * size * 4)
  const S = 4
  for (let py = 0; py < size; py++)
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0
      for (let sy = 0; sy < S; sy++)
        for (let sx = 0; sx < S; sx++) {
          const x = (px + (sx + 0.5) / S) / size
          const y = (py + (sy + 0.5) / S) / size
          let col = null
          for (const [shape, rgb] of layers) if (shape(x, y)) col = rgb // CLEAR (null) erases
          if (col) {
            r += col[0]; g += col[1]; b += col[2]; a += 1
          }
        }
      const i = (py * size + px) * 4
      if (a > 0) {
        out[i] = Math.round(r / a); out[i + 1] = Math.round(g / a); out[i + 2] = Math.round(b / a)
        out[i + 3] = Math.round((255 * a) / (S * S))
      }
    }
  return out
}

function stateLayers(state) {
  const c = COLORS[state]
  switch (state) {
    case 'live':
      return [[disc(0.5, 0.5, 0.42), c], [disc(0.5, 0.5, 0.14), COLORS.white]]
    case 'connecting':
      return [[ring(0.5, 0.5, 0.28, 0.42), c], [disc(0.5, 0.5, 0.1), c]]
    case 'degraded':
      return [[disc(0.5, 0.5, 0.42), c], [rect(0.44, 0.24, 0.56, 0.58), COLORS.white], [rect(0.44, 0.66, 0.56, 0.76), COLORS.white]]
    case 'offline':
      return [[ring(0.5, 0.5, 0.3, 0.42), c], [slash(0.12), c]]
    case 'signed-out':
      return [[ring(0.5, 0.5, 0.3, 0.42), c]]
  }
}
const attentionLayers = [[disc(0.78, 0.22, 0.24), COLORS.white], [disc(0.78, 0.22, 0.18), COLORS.red]]

const states = ['signed-out', 'connecting', 'live', 'degraded', 'offline']
for (const state of states) {
  for (const attention of [false, true]) {
    const layers = attention ? [...stateLayers(state), ...attentionLayers] : stateLayers(state)
    const base = attention ? `${state}-attention` : state
    writeFileSync(join(trayDir, `${base}.png`), png(22, raster(22, layers)))
    writeFileSync(join(trayDir, `${base}@2x.png`), png(44, raster(44, layers)))
    writeFileSync(join(trayDir, `${base}.ico`), ico([16, 20, 24, 32].map((s) => ({ size: s, data: png(s, raster(s, layers)) }))))
    writeFileSync(join(trayDir, `${base}Template.png`), png(16, raster(16, templateLayers(layers))))
    writeFileSync(join(trayDir, `${base}Template@2x.png`), png(32, raster(32, templateLayers(layers))))
  }
}
// Windows taskbar overlay (the badge Windows does not have).
writeFileSync(join(trayDir, 'overlay.png'), png(16, raster(16, [[disc(0.5, 0.5, 0.48), COLORS.white], [disc(0.5, 0.5, 0.4), COLORS.red]])))
// App icon for the queue window.
writeFileSync(join(trayDir, 'app.png'), png(256, raster(256, stateLayers('live'))))
// App icon for the installers and launchers: the live mark on a dark rounded square (readable on light and
// dark desktops, unlike the bare tray mark).
const appIconLayers = [
  [roundRect(0.06, 0.06, 0.94, 0.94, 0.2), [15, 20, 25]],
  [disc(0.5, 0.5, 0.3), COLORS.live],
  [disc(0.5, 0.5, 0.1), COLORS.white],
  [disc(0.74, 0.26, 0.1), COLORS.red],
]
const appIcon = (size) => png(size, raster(size, appIconLayers))
writeFileSync(join(buildDir, 'icon.png'), appIcon(512))
for (const size of [16, 32, 48, 64, 128, 256, 512]) writeFileSync(join(buildDir, 'icons', `${size}x${size}.png`), appIcon(size))
writeFileSync(join(buildDir, 'icon.ico'), ico([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, data: appIcon(size) }))))
writeFileSync(join(buildDir, 'icon.icns'), icns(appIcon))

// ---- WAV ------------------------------------------------------------------------------------------
function wav(samples, rate) {
  const data = Buffer.alloc(samples.length * 2)
  samples.forEach((s, i) => data.writeInt16LE(Math.max(-32767, Math.min(32767, Math.round(s * 32767))), i * 2))
  const h = Buffer.alloc(44)
  h.write('RIFF', 0); h.writeUInt32LE(36 + data.length, 4); h.write('WAVE', 8)
  h.write('fmt ', 12); h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22)
  h.writeUInt32LE(rate, 24); h.writeUInt32LE(rate * 2, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34)
  h.write('data', 36); h.writeUInt32LE(data.length, 40)
  return Buffer.concat([h, data])
}
/** notes: [freqHz, startS, durS][]; bell-like: fundamental + octave, fast attack, exponential decay */
function tones(notes, total, rate = 22050, gain = 0.45) {
  const out = new Float64Array(Math.round(total * rate))
  for (const [f, start, dur] of notes) {
    const s0 = Math.round(start * rate)
    for (let i = 0; i < dur * rate && s0 + i < out.length; i++) {
      const t = i / rate
      const env = Math.min(1, t / 0.005) * Math.exp(-t * (4 / dur))
      out[s0 + i] += gain * env * (Math.sin(2 * Math.PI * f * t) + 0.3 * Math.sin(4 * Math.PI * f * t))
    }
  }
  return wav(Array.from(out), rate)
}
// New request: a bright two-note chime, twice — audible across a workshop, not an alarm.
writeFileSync(join(soundDir, 'request.wav'), tones([[880, 0, 0.35], [1318.5, 0.18, 0.5], [880, 0.8, 0.35], [1318.5, 0.98, 0.6]], 1.7))
// The other request sounds a mechanic may choose (alert preferences): a single struck bell, long decay, that
// carries over machinery; and a fast rising pulse, three times, for the noisiest bays.
writeFileSync(join(soundDir, 'bell.wav'), tones([[659.3, 0, 1.6], [987.8, 0.01, 1.2], [1318.5, 0.8, 1.0]], 2.0))
writeFileSync(join(soundDir, 'pulse.wav'), tones([[988, 0, 0.12], [1175, 0.15, 0.12], [1397, 0.3, 0.18], [988, 0.6, 0.12], [1175, 0.75, 0.12], [1397, 0.9, 0.18], [988, 1.2, 0.12], [1175, 1.35, 0.12], [1397, 1.5, 0.25]], 1.9))
// Health problem (link degraded / offline): one low double beep.
writeFileSync(join(soundDir, 'health.wav'), tones([[440, 0, 0.25], [392, 0.3, 0.4]], 0.8, 22050, 0.35))
console.log(`tray icons → ${trayDir}\napp icons → ${buildDir}\nsounds → ${soundDir}`)
