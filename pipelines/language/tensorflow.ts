import type * as TF from '@tensorflow/tfjs';

let loaded: Promise<typeof TF> | undefined;

/**
 * TensorFlow.js on its CPU backend, in production mode (no debug checks, and no advice on
 * stderr to install tfjs-node). Loaded on first use, so a command or a node that never trains or
 * scores a model never pays for it. Both trainers and the speech model go through here.
 */
export function tensorflow(): Promise<typeof TF> {
  loaded ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    tf.enableProdMode();
    await tf.setBackend('cpu');
    return tf;
  })();
  return loaded;
}
