// Preloaded (`node --import`) into a node process started by the soak bench: measures the
// event loop's delay and the process's memory from inside, and answers the bench over IPC.
// Bench-only instrument; the node itself knows nothing of it.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();

process.on('message', (message) => {
  if (message?.type !== 'probe') return;
  // With --expose-gc: collect first, so what is measured is what the node holds, not garbage
  // V8 has not yet had a reason to collect (an idle node allocates nothing, so it never does).
  if (message.collect) {
    globalThis.gc?.();
    globalThis.gc?.();
  }
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  process.send?.({
    type: 'probe',
    eventLoop: {
      p50Ms: histogram.percentile(50) / 1e6,
      p99Ms: histogram.percentile(99) / 1e6,
      maxMs: histogram.max / 1e6,
    },
    memory: { rssMB: rss / 1e6, heapUsedMB: heapUsed / 1e6, heapTotalMB: heapTotal / 1e6, externalMB: external / 1e6, arrayBuffersMB: arrayBuffers / 1e6 },
  });
  if (message.reset) histogram.reset();
});
// The IPC channel must not keep a node that was asked to stop alive.
process.channel?.unref();
