/** Averages the channels into one. A single channel is returned as it is. */
export function downmix(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0]!;
  const length = Math.min(...channels.map((c) => c.length));
  const mono = new Float32Array(length);
  const weight = 1 / channels.length;
  for (const channel of channels) for (let i = 0; i < length; i++) mono[i]! += channel[i]! * weight;
  return mono;
}

/** Share of samples at or beyond `threshold` of full scale, over every channel. */
export function clippingRatio(channels: Float32Array[], threshold = 0.99): number {
  let clipped = 0;
  let total = 0;
  for (const channel of channels) {
    total += channel.length;
    for (let i = 0; i < channel.length; i++) if (Math.abs(channel[i]!) >= threshold) clipped++;
  }
  return total === 0 ? 0 : clipped / total;
}

/** 16-bit PCM mono WAV: the node's normalised form (see README for the FLAC/WAV measurement). */
export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const bytes = new Uint8Array(44 + samples.length * 2);
  const view = new DataView(bytes.buffer);
  const ascii = (offset: number, text: string) => {
    for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]!));
    view.setInt16(44 + i * 2, Math.round(s < 0 ? s * 32768 : s * 32767), true);
  }
  return bytes;
}
