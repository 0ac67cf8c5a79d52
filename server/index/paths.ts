/** Where an index serves its API. */
export const API_BASE = '/api/v1';
/** The index's public document: its name, URL, log origin and verifier key. */
export const WELL_KNOWN_PATH = '/.well-known/tributary-index.json';
