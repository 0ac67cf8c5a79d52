const ECE_BINS = 10;

/** Expected calibration error: |accuracy − mean confidence| per confidence bin (10 equal bins), weighted by the bin's share. */
export function expectedCalibrationError(points: ReadonlyArray<{ confidence: number; correct: boolean }>): number {
  const bins = Array.from({ length: ECE_BINS }, () => ({ n: 0, confidence: 0, correct: 0 }));
  for (const { confidence, correct } of points) {
    const bin = bins[Math.min(ECE_BINS - 1, Math.floor(confidence * ECE_BINS))]!;
    bin.n++;
    bin.confidence += confidence;
    if (correct) bin.correct++;
  }
  let error = 0;
  for (const bin of bins) if (bin.n > 0) error += (bin.n / points.length) * Math.abs(bin.correct / bin.n - bin.confidence / bin.n);
  return error;
}
