/**
 * Speech samples: where their audio lives (blob keys, never client-chosen names), what the
 * audio pipeline measured, and the upload they came from (so a retried upload cannot make two
 * samples). Audio columns are cleared when a sample is withdrawn, as its blobs are deleted.
 */
export const speech = `
ALTER TABLE samples ADD COLUMN audio_original TEXT;
ALTER TABLE samples ADD COLUMN audio_original_type TEXT;
ALTER TABLE samples ADD COLUMN audio_sha256 TEXT;
ALTER TABLE samples ADD COLUMN audio_normalized TEXT;
ALTER TABLE samples ADD COLUMN audio_facts TEXT;
ALTER TABLE samples ADD COLUMN audio_flags TEXT;
ALTER TABLE samples ADD COLUMN upload_id TEXT;
CREATE UNIQUE INDEX samples_upload ON samples(upload_id) WHERE upload_id IS NOT NULL;
`;
