import type { Route } from '../../core/api.js';

/**
 * How the index's route groups declare their routes. Every route is public: what nodes push is
 * authenticated by its signature, and what the index serves is public and provable. Operators
 * act through the CLI on the index's directory.
 */
export type IndexRoute = Route<undefined, never>;
