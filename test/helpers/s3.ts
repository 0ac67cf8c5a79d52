import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { S3Credentials, S3Location } from '../../server/core/s3-blob-store.js';

/**
 * An S3-compatible server for the tests: s3rver (@20minutes/s3rver, the maintained fork of
 * s3rver), a Koa app that keeps objects in a folder. Chosen because it comes from the npm
 * registry as a dev dependency and is plain JavaScript: it runs wherever the tests do, with no
 * binary to download and no daemon to install (MinIO and Garage are neither in Debian nor on
 * npm; Ceph's radosgw needs a cluster). It checks SigV4 signatures (headers and presigned query
 * strings), serves Range reads, multipart uploads and server-side copies, and listens on
 * 127.0.0.1 only. It is not S3: test/helpers/s3-server.ts mends the three places the tests
 * found where it answers otherwise, and runs it in a process of its own.
 */
export interface S3TestServer {
  endpoint: string;
  bucket: string;
  credentials: S3Credentials;
  /** The location of a store under `prefix` ('' or ending in "/"). */
  location(prefix?: string): S3Location;
  /** As the AWS SDK reads them from the environment, for a node run as a process. */
  env: Record<string, string>;
  close(): Promise<void>;
}

const credentials: S3Credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const serverFile = fileURLToPath(new URL('./s3-server.ts', import.meta.url));

export async function startS3Server(bucket = 'tributary'): Promise<S3TestServer> {
  const directory = mkdtempSync(join(tmpdir(), 's3-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', serverFile, directory, bucket], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the S3 test server exited (${code}) before listening`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    credentials,
    location: (prefix = '') => ({ endpoint, bucket, region: 'us-east-1', prefix, forcePathStyle: true }),
    env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey },
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** The keys under `prefix` in the server's bucket, without the prefix, sorted. */
export async function listPrefix(server: S3TestServer, prefix: string): Promise<string[]> {
  const { S3Client, ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: server.credentials });
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix }));
    if (listed.IsTruncated) throw new Error(`more than one page of objects under ${prefix}`);
    return (listed.Contents ?? []).map(({ Key }) => Key!.slice(prefix.length)).sort();
  } finally {
    client.destroy();
  }
}

/** Copies every object under `prefix` in the server's bucket into `folder`, keys as paths below it. */
export async function mirrorPrefix(server: S3TestServer, prefix: string, folder: string): Promise<void> {
  const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: server.credentials });
  try {
    for (const key of await listPrefix(server, prefix)) {
      const Key = prefix + key;
      const object = await client.send(new GetObjectCommand({ Bucket: server.bucket, Key }));
      const path = join(folder, key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, await object.Body!.transformToByteArray());
    }
  } finally {
    client.destroy();
  }
}
