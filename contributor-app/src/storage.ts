import type { NodeInfo } from './types.js';

/**
 * What the app remembers on this device. localStorage can be missing or full (private
 * browsing, storage quota); the app then still works for this visit.
 */
const KEYS = {
  token: 'tributary.token',
  uiLocale: 'tributary.uiLocale',
  dataLanguage: 'tributary.dataLanguage',
  nodeInfo: 'tributary.nodeInfo',
} as const;

type Key = keyof typeof KEYS;

function read(key: Key): string | null {
  try {
    return localStorage.getItem(KEYS[key]);
  } catch {
    return null;
  }
}

function write(key: Key, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(KEYS[key]);
    else localStorage.setItem(KEYS[key], value);
  } catch {
    // Not remembered: the volunteer chooses again next time.
  }
}

export const storage = {
  token: () => read('token'),
  setToken: (token: string | null) => write('token', token),
  uiLocale: () => read('uiLocale'),
  setUiLocale: (locale: string) => write('uiLocale', locale),
  dataLanguage: () => read('dataLanguage'),
  setDataLanguage: (tag: string) => write('dataLanguage', tag),
  /** The node's name and languages from the last visit, so the app opens without a connection. */
  nodeInfo: (): NodeInfo | null => {
    try {
      const info = JSON.parse(read('nodeInfo') ?? 'null') as NodeInfo | null;
      return info && typeof info.name === 'string' && Array.isArray(info.languages) ? info : null;
    } catch {
      return null;
    }
  },
  setNodeInfo: (info: NodeInfo) => write('nodeInfo', JSON.stringify({ name: info.name, languages: info.languages })),
};
