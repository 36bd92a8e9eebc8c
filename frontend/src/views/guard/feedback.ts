// Sound and vibration for a verdict, so the guard need not look at the screen to know.
let ctx: AudioContext | null = null

export function feedback(allow: boolean): void {
  try {
    navigator.vibrate?.(allow ? 120 : [250, 100, 250])
  } catch {
    /* not supported */
  }
  try {
    const AC = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext
    if (!AC) return
    ctx ??= new AC()
    const tones = allow ? [[880, 0, 0.15]] : [[220, 0, 0.25], [220, 0.35, 0.25]]
    for (const [freq, start, dur] of tones) {
      const o = ctx.createOscillator()
      const g = ctx.createGain()
      o.type = allow ? 'sine' : 'square'
      o.frequency.value = freq
      g.gain.value = 0.2
      o.connect(g).connect(ctx.destination)
      o.start(ctx.currentTime + start)
      o.stop(ctx.currentTime + start + dur)
    }
  } catch {
    /* audio blocked until a user gesture: vibration and colour still tell */
  }
}
