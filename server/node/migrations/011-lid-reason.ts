/**
 * `lid_reason`: why language ID left a sample undetermined (`und`): text too short or mixed
 * (pipelines/language/identify.ts), or for speech no model, or a language the node's speech
 * model was not trained on (pipelines/language/speech-lid.ts). The declared language stands.
 */
export const lidReason = `
ALTER TABLE samples ADD COLUMN lid_reason TEXT;
`;
