/**
 * Recordings kept on this device until the node confirms them: the take's bytes, what it is a
 * reading of, whose key sends it, and the tus upload URL once the node has made one (so a resumed
 * upload continues where the node stopped, after a reload or a closed tab). IndexedDB, because
 * localStorage holds neither blobs nor this much.
 */
export interface QueuedRecording {
  id: string;
  promptId: string;
  /** The data language the take was recorded in. */
  language: string;
  blob: Blob;
  /** The volunteer's key when they recorded it: the take is theirs even if someone else signs in. */
  token: string;
  createdAt: string;
  /** The node's tus upload for it, once created. */
  uploadUrl: string | null;
}

const DB_NAME = 'tributary';
const STORE = 'recordings';

let opening: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  opening ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { keyPath: 'id' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  }).catch((error: unknown) => {
    opening = null;
    throw error;
  });
  return opening;
}

async function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  const db = await open();
  return new Promise<T | undefined>((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const request = work(tx.objectStore(STORE));
    // Resolved when the transaction commits, so a caller never acts on a write that may not land.
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export const recordingQueue = {
  /** Kept before a byte is sent: a take is on disk from the moment the volunteer presses send. */
  async add(recording: Omit<QueuedRecording, 'id' | 'createdAt' | 'uploadUrl'>): Promise<QueuedRecording> {
    const item: QueuedRecording = { ...recording, id: crypto.randomUUID(), createdAt: new Date().toISOString(), uploadUrl: null };
    await run('readwrite', (store) => store.add(item));
    return item;
  },
  /** Oldest first: the order they were recorded in. */
  async list(): Promise<QueuedRecording[]> {
    const all = (await run<QueuedRecording[]>('readonly', (store) => store.getAll() as IDBRequest<QueuedRecording[]>)) ?? [];
    return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  },
  async count(): Promise<number> {
    return (await run<number>('readonly', (store) => store.count())) ?? 0;
  },
  async setUploadUrl(id: string, uploadUrl: string | null): Promise<void> {
    // Read and written in one transaction, so a take removed meanwhile is not brought back.
    await run('readwrite', (store) => {
      const read = store.get(id);
      read.onsuccess = () => {
        const item = read.result as QueuedRecording | undefined;
        if (item) store.put({ ...item, uploadUrl });
      };
    });
  },
  /** The node confirmed it (or refused it for good): it leaves the device. */
  async remove(id: string): Promise<void> {
    await run('readwrite', (store) => store.delete(id));
  },
};
