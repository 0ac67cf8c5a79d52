import { join } from 'node:path';
import { z } from 'zod';
import { parseLanguageTag } from '../../pipelines/language/tags.js';
import { parseConfig, readConfigFile, trustProxySchema, writeConfigFile } from '../core/config.js';
import { PURPOSE_IDS } from './domain/purposes.js';

export const CONFIG_FILE = 'node.json';

const languageTag = z.string().transform((value, ctx) => {
  const parsed = parseLanguageTag(value);
  if (!parsed) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a BCP-47 tag of a known language` });
    return z.NEVER;
  }
  return parsed.tag;
});

export const spdxId = z
  .string()
  .regex(/^(LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9][A-Za-z0-9.+-]*)$/, 'an SPDX license id such as CC-BY-4.0');

const purpose = z.enum(PURPOSE_IDS);

const consentNoticeOverride = z.object({
  version: z.string().min(1),
  title: z.string().min(1),
  text: z.string().min(1),
});

/** Keys for a bucket never sit in node.json, which is copied into backups and shown to operators. */
const noCredentials = z
  .never({ error: 'S3 credentials are read from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), never from node.json' })
  .optional();

export const nodeConfigSchema = z
  .object({
    name: z.string().trim().min(1).max(120),
    // Without a trailing slash, so every link built on it has exactly one.
    url: z
      .url({ protocol: /^https?$/ })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
    languages: z.array(languageTag).min(1).max(64),
    jurisdiction: z
      .string()
      .regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code such as KE')
      .default('ZZ'),
    license: spdxId.default('CC-BY-4.0'),
    consent: z
      .object({
        purposes: z.array(purpose).min(1).default([...PURPOSE_IDS]),
        required: z.array(purpose).default(['train-asr', 'train-tts', 'train-lm', 'evaluate']),
        /** Per-language notices that replace the ones shipped in locales/<lng>/consent.json. */
        notices: z.record(z.string(), consentNoticeOverride).default({}),
      })
      .default({ purposes: [...PURPOSE_IDS], required: ['train-asr', 'train-tts', 'train-lm', 'evaluate'], notices: {} })
      .refine((c) => c.required.every((p) => c.purposes.includes(p)), 'every required purpose must be offered'),
    votes: z
      .object({
        validateAt: z.number().int().min(1).max(20).default(2),
        rejectAt: z.number().int().min(1).max(20).default(2),
      })
      .default({ validateAt: 2, rejectAt: 2 }),
    limits: z
      .object({
        bodyBytes: z.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
        textMaxChars: z.number().int().min(10).max(100_000).default(2000),
        rateWindowSeconds: z.number().int().min(1).max(3600).default(60),
        ratePerAddress: z.number().int().min(1).default(1200),
        ratePerToken: z.number().int().min(1).default(600),
      })
      .default({ bodyBytes: 64 * 1024, textMaxChars: 2000, rateWindowSeconds: 60, ratePerAddress: 1200, ratePerToken: 600 }),
    audio: z
      .object({
        maxBytes: z.number().int().min(10_000).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
        maxSeconds: z.number().min(2).max(30).default(15),
        minSpeechSeconds: z.number().min(0.1).max(10).default(1),
        silentPeakDbfs: z.number().min(-90).max(-10).default(-45),
        maxClippingRatio: z.number().min(0).max(1).default(0.01),
        lowSnrDb: z.number().min(0).max(60).default(15),
        maxSilenceRatio: z.number().min(0).max(1).default(0.6),
        /** Unfinished resumable uploads older than this are deleted. */
        uploadExpiryHours: z.number().min(1).max(24 * 30).default(24),
        /** Unfinished resumable uploads one contributor may hold at once. */
        maxUnfinishedUploads: z.number().int().min(1).max(100).default(5),
        /** Bytes one contributor's unfinished uploads may claim together; twice `maxBytes` unless set. */
        maxUnfinishedBytes: z.number().int().min(10_000).optional(),
        /** Bytes all unfinished uploads on the node may claim together. */
        uploadDiskBudgetBytes: z.number().int().min(1024 * 1024).default(1024 * 1024 * 1024),
        /** Uploads are refused while the disk holding them has less free space than this. */
        minFreeDiskBytes: z.number().int().min(0).default(256 * 1024 * 1024),
        /** Worker threads decoding and analysing clips; defaults to the machine's cores. */
        analysisThreads: z.number().int().min(1).max(64).optional(),
      })
      .default({
        maxBytes: 10 * 1024 * 1024,
        maxSeconds: 15,
        minSpeechSeconds: 1,
        silentPeakDbfs: -45,
        maxClippingRatio: 0.01,
        lowSnrDb: 15,
        maxSilenceRatio: 0.6,
        uploadExpiryHours: 24,
        maxUnfinishedUploads: 5,
        uploadDiskBudgetBytes: 1024 * 1024 * 1024,
        minFreeDiskBytes: 256 * 1024 * 1024,
      })
      .transform((audio) => ({ ...audio, maxUnfinishedBytes: audio.maxUnfinishedBytes ?? 2 * audio.maxBytes }))
      .refine((audio) => audio.maxUnfinishedBytes >= audio.maxBytes, {
        message: 'maxUnfinishedBytes must be at least maxBytes, or no upload could start',
        path: ['maxUnfinishedBytes'],
      }),
    releases: z
      .object({
        /**
         * Seconds between a withdrawal touching a published release and the rebuild without it
         * (its shards answer 410 meanwhile): withdrawals within this window make one version.
         */
        redactAfterSeconds: z.number().int().min(1).max(7 * 24 * 3600).default(60),
      })
      .strict()
      .default({ redactAfterSeconds: 60 }),
    http: z
      .object({ trustProxy: trustProxySchema.default(false) })
      .strict()
      .default({ trustProxy: false }),
    /** Global indexes the node publishes its manifests and notices to, as they happen. */
    indexes: z
      .array(z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')))
      .max(10)
      .default([]),
    /** How often the node tells its indexes it is alive (a node that misses three looks stale). */
    heartbeatMinutes: z.number().min(1).max(24 * 60).default(5),
    /**
     * Where the node keeps audio and releases: its folder (the default), or an S3-compatible
     * bucket for a community that outgrows one disk (server/node/storage.ts).
     */
    storage: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('disk') }).strict(),
        z
          .object({
            kind: z.literal('s3'),
            bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name (3–63 lower-case letters, digits, dots, hyphens)'),
            region: z.string().min(1).default('us-east-1'),
            /** An S3-compatible endpoint (MinIO, Garage, Ceph, R2…); AWS when absent. */
            endpoint: z.url({ protocol: /^https?$/ }).optional(),
            /** Put before every key, so that several nodes can share a bucket: `nodes/sw-ke/`. */
            prefix: z
              .string()
              .regex(/^([a-z0-9][a-z0-9._-]*\/)*$/i, 'empty, or folder names each followed by "/" (nodes/sw-ke/)')
              .default(''),
            /** Bucket in the path, not the host name; on by default with an endpoint. */
            forcePathStyle: z.boolean().optional(),
            /**
             * `redirect`: shard downloads answer 302 to a presigned URL of the object, so large
             * files never pass through the node; access checks and receipts stay at the node.
             */
            shardDownloads: z.enum(['proxy', 'redirect']).default('proxy'),
            /** How long a presigned shard URL works. */
            redirectSeconds: z.number().int().min(10).max(7 * 24 * 3600).default(300),
            accessKeyId: noCredentials,
            secretAccessKey: noCredentials,
            sessionToken: noCredentials,
          })
          .strict(),
      ])
      .default({ kind: 'disk' }),
    lid: z
      .object({
        minLength: z.number().int().min(1).max(200).default(10),
        /** ISO 639-3 codes checked alongside the node's languages; defaults to common contact languages. */
        contactLanguages: z.array(z.string().regex(/^[a-z]{3}$/)).optional(),
        /**
         * Folder of a TensorFlow.js spoken-language model (pipelines/language/speech-model.ts),
         * relative to the node's folder; without one, clips keep their declared language.
         */
        speechModel: z.string().min(1).optional(),
      })
      .default({ minLength: 10 }),
  })
  .strict();

export type NodeConfig = z.output<typeof nodeConfigSchema>;
export type NodeConfigInput = z.input<typeof nodeConfigSchema>;

/** Validates a config object, turning zod's issues into one message a person can act on. */
export function parseNodeConfig(input: unknown, source = 'node config'): NodeConfig {
  return parseConfig(nodeConfigSchema, input, source);
}

export function loadNodeConfig(dir: string): NodeConfig {
  return readConfigFile(nodeConfigSchema, join(dir, CONFIG_FILE), `run \`tributary node init --dir ${dir} …\` first`);
}

/** Writes a new node's config; refuses to overwrite one, since keys and data depend on it. */
export function writeNodeConfig(dir: string, input: NodeConfigInput): NodeConfig {
  return writeConfigFile(nodeConfigSchema, join(dir, CONFIG_FILE), input, 'this directory holds a node already');
}
