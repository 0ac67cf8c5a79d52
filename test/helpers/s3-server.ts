/**
 * The S3-compatible test server as a process of its own (see s3.ts): s3rver with its
 * differences from S3 mended. Run as `node --openssl-legacy-provider --import tsx s3-server.ts
 * DIR BUCKET`: s3rver makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in
 * its legacy provider, so a listing of more than one page fails in a process without it. Prints
 * `{"port":…}` on stdout when it listens; stops on SIGTERM or when its parent's pipe closes (the
 * parent ended, even without stopping it), and removes DIR as it stops.
 */
import { createReadStream, rmSync } from 'node:fs';
import S3rver from '@20minutes/s3rver';

const [directory, bucket] = process.argv.slice(2);
if (!directory || !bucket) throw new Error('usage: s3-server.ts DIR BUCKET');
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
mendS3rver(server);
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
const stop = () =>
  void server.close().finally(() => {
    rmSync(directory, { recursive: true, force: true });
    process.exit(0);
  });
process.on('SIGTERM', stop);
process.stdin.on('end', stop).resume();

/**
 * Where s3rver and S3 disagree, mended here rather than worked around in the store:
 * - Bucket-level requests (ListObjectsV2, DeleteObjects): the AWS SDK v3 signs the path
 *   `/<bucket>/`, s3rver checks the signature against `/<bucket>`. Its virtual-host branch
 *   builds `/<bucket>` + mount path, so such a request is checked as a mount at "/".
 * - `Range: bytes=0-0` is the first byte; s3rver reads `end || Infinity` and sends all of them.
 * - Deleting removes the folders it empties, and two deletes in one folder race on that
 *   (DeleteObjects runs its keys at once): one finds the folder gone and answers InternalError.
 *   Deletes are run one at a time.
 */
function mendS3rver(server: S3rver): void {
  const app = server as unknown as { middleware: Array<{ name: string } & ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>)> };
  const vhost = app.middleware.findIndex((fn) => fn.name === 'vhost');
  if (vhost < 0) throw new Error('s3rver changed: no vhost middleware to mend bucket-level signatures after');
  const bucketLevel = async (ctx: KoaContext, next: () => Promise<void>) => {
    if (/^\/[^/]+\/$/.test(ctx.path)) {
      ctx.state.vhost = true;
      ctx.mountPath = '/';
    }
    await next();
  };
  app.middleware.splice(vhost + 1, 0, bucketLevel as never);

  const store = (server as unknown as { store: FilesystemStore }).store;
  const getObject = store.getObject.bind(store);
  store.getObject = async (bucket, key, options) => {
    if (options?.end !== 0) return getObject(bucket, key, options);
    const object = await getObject(bucket, key, { start: options.start ?? 0 });
    if (object?.content) {
      object.content.destroy();
      object.content = createReadStream(store.getResourcePath(bucket, key, 'object'), { start: 0, end: 0 });
      object.range = { start: 0, end: 0 };
    }
    return object;
  };

  const deleteObject = store.deleteObject.bind(store);
  let deleting: Promise<unknown> = Promise.resolve();
  store.deleteObject = (bucket, key) => {
    const deleted = deleting.then(() => deleteObject(bucket, key));
    deleting = deleted.catch(() => undefined);
    return deleted;
  };
}

interface KoaContext {
  path: string;
  state: { vhost?: boolean };
  mountPath?: string;
}
interface S3rverObject {
  content: NodeJS.ReadableStream & { destroy(): void } | null;
  range?: { start: number; end: number };
}
interface FilesystemStore {
  getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<S3rverObject | null>;
  getResourcePath(bucket: string, key: string, resource: string): string;
  deleteObject(bucket: string, key: string): Promise<void>;
}
