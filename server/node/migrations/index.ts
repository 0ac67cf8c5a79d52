import type { Migration } from '../../core/db.js';
import { init } from './001-init.js';
import { speech } from './002-speech.js';
import { releases } from './003-releases.js';
import { promptIndex } from './004-prompt-index.js';
import { unfinishedUploads } from './005-unfinished-uploads.js';
import { tokenLifecycle } from './006-token-lifecycle.js';
import { notices } from './007-notices.js';
import { releaseRemovals } from './008-release-removals.js';
import { indexDeliveries } from './009-index-deliveries.js';
import { publicationClaims } from './010-publication-claims.js';
import { lidReason } from './011-lid-reason.js';
import { largeNode } from './012-large-node.js';
import { contributorCounts } from './013-contributor-counts.js';
import { promptReading } from './014-prompt-reading.js';

/** Append only: a released node may have run any prefix of this list. */
export const nodeMigrations: Migration[] = [
  { version: 1, name: 'init', sql: init },
  { version: 2, name: 'speech', sql: speech },
  { version: 3, name: 'releases', sql: releases },
  { version: 4, name: 'prompt-index', sql: promptIndex },
  { version: 5, name: 'unfinished-uploads', sql: unfinishedUploads },
  { version: 6, name: 'token-lifecycle', sql: tokenLifecycle },
  { version: 7, name: 'notices', sql: notices },
  { version: 8, name: 'release-removals', sql: releaseRemovals },
  { version: 9, name: 'index-deliveries', sql: indexDeliveries },
  { version: 10, name: 'publication-claims', sql: publicationClaims },
  { version: 11, name: 'lid-reason', sql: lidReason },
  { version: 12, name: 'large-node', sql: largeNode },
  { version: 13, name: 'contributor-counts', sql: contributorCounts },
  { version: 14, name: 'prompt-reading', sql: promptReading },
];
