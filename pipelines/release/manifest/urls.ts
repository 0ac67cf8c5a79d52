import type { ReleaseDescription } from './types.js';

/** The node's API base without a trailing slash. */
export function apiBase(release: ReleaseDescription): string {
  return release.node.url.replace(/\/+$/, '');
}

/** `<api>/datasets/<id>`: the dataset's URL on its node. */
export function datasetUrl(release: ReleaseDescription): string {
  return `${apiBase(release)}/datasets/${encodeURIComponent(release.datasetId)}`;
}

/**
 * `<api>/datasets/<id>/shards/<name>?version=<v>`, the shard name's '/' kept as path separators
 * (the node's route takes the rest of the path as the name). Names are restricted to
 * [A-Za-z0-9_.-] segments by the release schema, so nothing needs percent-encoding. The version
 * pins the URL to this release: every release names its shards alike, and a superseded release's
 * shards must answer 410, not the newer release's bytes.
 */
export function shardUrl(release: ReleaseDescription, shardName: string): string {
  return `${datasetUrl(release)}/shards/${shardName}?version=${release.version}`;
}
