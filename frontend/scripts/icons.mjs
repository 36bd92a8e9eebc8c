// Draws the app icons (public/icons/icon-192.png, icon-512.png): a white shield with a check on
// the app's blue, as plain PNGs written with node:zlib (no image library, nothing downloaded).
// Run `node scripts/icons.mjs` after changing the drawing; the PNGs are committed.
import { writeFileSync, mkdirSync } from 'node:fs'
import { deflateSync } from 'node:zlib'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons')
mkdirSync(out, { recursive: true })

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32(buf) {
  let c = 0xffffffff
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8)
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

/** Colour at (x, y) in unit coordinates (0..1), 4× supersampled by the caller. */
function shade(x, y) {
  const blue = [25, 137, 250]
  const white = [255, 255, 255]
  // Shield: flat top, straight sides down to 55 %, then a curve to a point at the bottom.
  const cx = 0.5
  const top = 0.2
  const half = 0.29
  const mid = 0.55
  const bottom = 0.84
  let inShield = false
  if (y >= top && y <= mid) inShield = Math.abs(x - cx) <= half
  else if (y > mid && y <= bottom) {
    const t = (y - mid) / (bottom - mid)
    inShield = Math.abs(x - cx) <= half * Math.sqrt(1 - t * t)
  }
  if (!inShield) return blue
  // The check mark, in blue, as two thick segments.
  const seg = (ax, ay, bx, by) => {
    const dx = bx - ax
    const dy = by - ay
    const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return Math.hypot(x - (ax + t * dx), y - (ay + t * dy))
  }
  const d = Math.min(seg(0.36, 0.5, 0.46, 0.61), seg(0.46, 0.61, 0.65, 0.38))
  return d < 0.045 ? blue : white
}

function png(size) {
  const rows = []
  const S = 4
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 3)
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0
      for (let sy = 0; sy < S; sy++)
        for (let sx = 0; sx < S; sx++) {
          const c = shade((px + (sx + 0.5) / S) / size, (py + (sy + 0.5) / S) / size)
          r += c[0]; g += c[1]; b += c[2]
        }
      row[1 + px * 3] = Math.round(r / S / S)
      row[2 + px * 3] = Math.round(g / S / S)
      row[3 + px * 3] = Math.round(b / S / S)
    }
    rows.push(row)
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0)
  ihdr.writeUInt32BE(size, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

for (const size of [192, 512]) writeFileSync(join(out, `icon-${size}.png`), png(size))
console.log(`icons written to ${out}`)
