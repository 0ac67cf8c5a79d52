import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audioFixtures, sentences } from '../fixtures/audio-fixtures.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import {
  CALLERS,
  makePrincipals,
  newPrincipal,
  type Caller,
  type Principal,
  type SignedIn,
} from '../helpers/principals.js';
import { importPrompts, postRecording } from '../helpers/speech.js';

/*
 * Every route of the node, asked by five callers, answered as this table says. The table states
 * what SHOULD be (DESIGN.md, Security: a volunteer reads, exports and withdraws only their own
 * data; admin routes need admin), not what the code happens to do; a route the OpenAPI document
 * has and the table lacks fails the suite, so a new route cannot ship without a decision about
 * who may call it.
 *
 * Callers: anonymous (no token), volunteer (owns every resource the path names), other (a second
 * volunteer), reviewer, admin. Everyone signed in has given consent, so a refusal is about role
 * or ownership and never about consent.
 */

/**
 * - allowed: the route does its work (2xx: each probe below sends a valid request);
 * - 401: no token, or a token that does not open this (code Unauthenticated, AccessTokenRequired);
 * - 403: signed in, but the role, or the rule against voting on one's own contribution, forbids it;
 * - 404: someone else's, hidden as if it did not exist (code NotFound).
 */
type Outcome = 'allowed' | 401 | 403 | 404;
type Row = readonly [anonymous: Outcome, volunteer: Outcome, other: Outcome, reviewer: Outcome, admin: Outcome];
/** A route whose answer depends on the state of what it names has a row per state. */
type Rows = Row | { readonly [state: string]: Row };

const ok = 'allowed';
const PUBLIC: Row = [ok, ok, ok, ok, ok];
/** Any contributor, each acting on their own account or on what is open to every validator. */
const SIGNED_IN: Row = [401, ok, ok, ok, ok];
/** The volunteer who owns it; to anyone else, admins included, it does not exist. */
const OWNER_ONLY: Row = [401, ok, 404, 404, 404];
/** Its owner and the node's admins. */
const OWNER_AND_ADMINS: Row = [401, ok, 404, 404, ok];
/** Anyone but its author: nobody votes on their own contribution. */
const NOT_THE_AUTHOR: Row = [401, 403, ok, ok, ok];
/** Moderation: reviewers and admins. */
const REVIEWERS: Row = [401, 403, 403, ok, ok];
const ADMINS: Row = [401, 403, 403, 403, ok];
/** Gated data opens only to an access grant's token, so the community has a receipt of every download. */
const GRANT_HOLDERS: Row = [401, 401, 401, 401, 401];

/** Keyed as the OpenAPI document names routes (relative to its server URL, /api/v1). */
const EXPECTED: Record<string, Rows> = {
  'POST /contributors': PUBLIC,
  'GET /me': SIGNED_IN,
  'PATCH /me': SIGNED_IN,
  'DELETE /me': SIGNED_IN,
  'GET /me/export': SIGNED_IN,
  // Each caller's own samples: the route names nobody else's, so there is nothing to hide.
  'GET /me/samples': SIGNED_IN,
  // What my finished upload became: to anyone else the upload does not exist.
  'GET /me/uploads/{id}/sample': OWNER_ONLY,
  'GET /consent/notice': PUBLIC,
  'POST /consents': SIGNED_IN,
  'GET /consents': SIGNED_IN,
  'DELETE /consents/{id}': OWNER_ONLY,
  'GET /prompts': SIGNED_IN,
  'POST /prompts': SIGNED_IN,
  'GET /prompts/to-review': SIGNED_IN,
  'POST /prompts/{id}/votes': NOT_THE_AUTHOR,
  'POST /prompts/{id}/reports': SIGNED_IN,
  'POST /samples/text': SIGNED_IN,
  'GET /samples/to-validate': SIGNED_IN,
  'POST /samples/{id}/votes': NOT_THE_AUTHOR,
  'POST /samples/{id}/reports': SIGNED_IN,
  'POST /samples/speech': SIGNED_IN,
  // Validators hear a clip while it waits for their votes; once decided it is the speaker's again.
  'GET /samples/{id}/audio': {
    'pending clip': SIGNED_IN,
    'validated clip': OWNER_AND_ADMINS,
    'rejected clip': OWNER_AND_ADMINS,
    // Moderators must hear what they are asked to judge.
    'validated clip under an open report': [401, ok, 404, ok, ok],
  },
  'GET /datasets': PUBLIC,
  // A gated dataset's description is public (trainers find it in the index); its shards are not.
  'GET /datasets/{id}/manifest': { 'open dataset': PUBLIC, 'gated dataset': PUBLIC },
  'GET /datasets/{id}/card': { 'open dataset': PUBLIC, 'gated dataset': PUBLIC },
  'GET /datasets/{id}/shards/{name}': { 'open dataset': PUBLIC, 'gated dataset': GRANT_HOLDERS },
  'POST /datasets/{id}/access': PUBLIC,
  'GET /withdrawals': PUBLIC,
  // Signed notices are public: trainers and indexes act on them.
  'GET /notices': PUBLIC,
  'GET /notices/{id}': PUBLIC,
  'POST /admin/releases': ADMINS,
  'GET /admin/releases/building': ADMINS,
  // The community's authority over a dataset as a whole is its admins'.
  'GET /admin/datasets': ADMINS,
  'POST /admin/datasets/{id}/retraction': ADMINS,
  'PUT /admin/datasets/{id}/access': ADMINS,
  'GET /admin/access-requests': ADMINS,
  'POST /admin/access-requests/{id}/decision': ADMINS,
  'GET /admin/receipts': ADMINS,
  'POST /admin/prompts': ADMINS,
  'GET /admin/reports': REVIEWERS,
  'POST /admin/reports/{id}/resolution': REVIEWERS,
  'PUT /admin/contributors/{id}/role': ADMINS,
  // Whose an id is, before a role is given: a contributor's pseudonym is the admins' business only.
  'GET /admin/contributors/{id}': ADMINS,
  // The operator pages: the node's activity, publishing, staff, and sentence files.
  'GET /admin/overview': ADMINS,
  'GET /admin/publishing': ADMINS,
  'GET /admin/contributors': ADMINS,
  'POST /admin/prompts/file': ADMINS,
  'GET /stats': PUBLIC,
  'GET /limits': PUBLIC,
};

/** Routes that carry data but are not in the OpenAPI document, keyed by their full path. */
const OUTSIDE_OPENAPI: Record<string, Partial<Record<Caller, Outcome>>> = {
  'GET /openapi.json': cells(PUBLIC),
  'GET /.well-known/tributary.json': cells(PUBLIC),
  'GET /.well-known/did.json': cells(PUBLIC),
  // tus: an upload in progress is its creator's alone, admins included.
  'POST /api/v1/uploads': cells(SIGNED_IN),
  'HEAD /api/v1/uploads/{id}': cells(OWNER_ONLY),
  // tus serves an upload back only once it is complete, and a complete one has become a
  // sample: the owner's GET is 404 either way, so only the others are asked.
  'GET /api/v1/uploads/{id}': { anonymous: 401, other: 404, reviewer: 404, admin: 404 },
  'PATCH /api/v1/uploads/{id}': cells(OWNER_ONLY),
  'DELETE /api/v1/uploads/{id}': cells(OWNER_ONLY),
};

function cells(row: Row): Record<Caller, Outcome> {
  return Object.fromEntries(CALLERS.map((caller, i) => [caller, row[i]!])) as Record<Caller, Outcome>;
}

/**
 * The owner answers last, so that a success which changes or removes what the route names
 * (withdrawing a consent record, deleting an upload) comes after every refusal was checked.
 */
const ORDER: readonly Caller[] = ['anonymous', 'other', 'reviewer', 'admin', 'volunteer'];

/** Callers whose answers must never show the owner's identity, token or consent records. */
const STRANGERS: ReadonlySet<Caller> = new Set(['anonymous', 'other', 'reviewer']);

// ---------------------------------------------------------------------------------------------
// How each route is asked: path parameters naming the volunteer's resources, and a valid body.

interface World {
  t: TestNode;
  principals: Record<SignedIn, Principal & { consentRecordId: string }>;
  pseudonym: string;
  notice: { noticeId: string; noticeSha256: string; purposes: string[] };
  clip: Uint8Array;
  prompts: { toRecord: string; reportable: string; proposed: string };
  samples: {
    text: string;
    reportable: string;
    pendingClip: string;
    validatedClip: string;
    rejectedClip: string;
    reportedClip: string;
  };
  datasets: { open: { id: string; shard: string }; gated: { id: string; shard: string } };
  upload: string;
}

type Params = Record<string, string>;

interface Probe {
  /** Called before each caller's request, so it may make a resource of its own for that caller. */
  params?: (w: World, caller: Caller) => Params | Promise<Params>;
  query?: string;
  json?: (w: World, caller: Caller) => unknown;
  form?: (w: World, caller: Caller) => FormData;
  headers?: (w: World, caller: Caller) => Record<string, string>;
  bytes?: Uint8Array;
  /** The route acts on the caller itself (erasure): each caller is a new contributor of its kind. */
  fresh?: boolean;
}

/** Makes one resource on first use and names it to every caller. */
function once(make: (w: World) => Promise<Params>): (w: World) => Promise<Params> {
  let made: Promise<Params> | undefined;
  return (w) => (made ??= make(w));
}

/** Distinct per caller, so that nobody's answer is a duplicate of someone else's. */
const TEXTS: Record<Caller, string> = {
  anonymous: 'Hakuna mtu aliyefika mkutanoni jana jioni.',
  volunteer: 'Tulisafiri kwa basi kutoka Mombasa mpaka Nairobi jana.',
  other: 'Watoto wanapenda kucheza mpira baada ya masomo ya jioni.',
  reviewer: 'Daktari alisema tunapaswa kunywa maji safi kila siku.',
  admin: 'Ndege wengi huhamia hapa wakati wa baridi kila mwaka.',
};
const PROPOSALS: Record<Caller, string> = {
  anonymous: 'Samaki wakubwa huonekana ziwani wakati wa masika.',
  volunteer: 'Kaka yangu anajifunza kuendesha baiskeli mpya.',
  other: 'Shangazi ametuletea ndizi tamu kutoka shambani.',
  reviewer: 'Tutakutana kanisani kesho baada ya ibada ya asubuhi.',
  admin: 'Walimu wamepanda miti mingi kuzunguka shule yetu.',
};

const accessRequest = { name: 'Speech lab', contact: 'lab@example.org', purpose: 'Train an ASR model', acceptTerms: true };
/** Headers that create a 1000-byte tus upload of a recording of the prompt. */
const tusCreate = (promptId: string) => ({
  'tus-resumable': '1.0.0',
  'upload-length': '1000',
  'upload-metadata': `promptId ${Buffer.from(promptId).toString('base64')}`,
});

const PROBES: Record<string, Probe | Record<string, Probe>> = {
  'POST /contributors': { json: () => ({}) },
  'PATCH /me': { json: () => ({ accent: 'pwani' }) },
  'DELETE /me': { fresh: true },
  'GET /me/uploads/{id}/sample': { params: once(async (w) => ({ id: await finishedUpload(w) })) },
  'GET /consent/notice': { query: 'lang=sw' },
  'POST /consents': { json: (w) => w.notice },
  // A record of its own, given just before: withdrawing it withdraws no sample another row uses.
  'DELETE /consents/{id}': {
    params: once(async (w) => ({ id: await consentOf(w, w.principals.volunteer.token) })),
    json: () => ({ reason: 'changed my mind' }),
  },
  'GET /prompts': { query: 'lang=sw' },
  'POST /prompts': { json: (_w, caller) => ({ language: 'sw', text: PROPOSALS[caller] }) },
  'GET /prompts/to-review': { query: 'lang=sw' },
  // Skips decide nothing, so every caller's vote counts the same.
  'POST /prompts/{id}/votes': { params: (w) => ({ id: w.prompts.proposed }), json: () => ({ value: 'skip' }) },
  'POST /prompts/{id}/reports': { params: (w) => ({ id: w.prompts.reportable }), json: () => ({ reason: 'other' }) },
  'POST /samples/text': { json: (_w, caller) => ({ language: 'sw', text: TEXTS[caller] }) },
  'GET /samples/to-validate': { query: 'lang=sw' },
  'POST /samples/{id}/votes': { params: (w) => ({ id: w.samples.text }), json: () => ({ value: 'skip' }) },
  'POST /samples/{id}/reports': { params: (w) => ({ id: w.samples.reportable }), json: () => ({ reason: 'other' }) },
  'POST /samples/speech': { form: (w) => recordingForm(w) },
  'GET /samples/{id}/audio': {
    'pending clip': { params: (w) => ({ id: w.samples.pendingClip }) },
    'validated clip': { params: (w) => ({ id: w.samples.validatedClip }) },
    'rejected clip': { params: (w) => ({ id: w.samples.rejectedClip }) },
    'validated clip under an open report': { params: (w) => ({ id: w.samples.reportedClip }) },
  },
  'GET /datasets/{id}/manifest': {
    'open dataset': { params: (w) => ({ id: w.datasets.open.id }) },
    'gated dataset': { params: (w) => ({ id: w.datasets.gated.id }) },
  },
  'GET /datasets/{id}/card': {
    'open dataset': { params: (w) => ({ id: w.datasets.open.id }) },
    'gated dataset': { params: (w) => ({ id: w.datasets.gated.id }) },
  },
  'GET /datasets/{id}/shards/{name}': {
    'open dataset': { params: (w) => ({ id: w.datasets.open.id, name: w.datasets.open.shard }) },
    'gated dataset': { params: (w) => ({ id: w.datasets.gated.id, name: w.datasets.gated.shard }) },
  },
  'POST /datasets/{id}/access': { params: (w) => ({ id: w.datasets.gated.id }), json: () => accessRequest },
  // English text waits, validated and never released, for the one build that is allowed.
  'POST /admin/releases': { json: () => ({ language: 'en', modality: 'text' }) },
  'GET /notices/{id}': { params: once(async (w) => ({ id: await accessChangeNotice(w) })) },
  // A speech release of its own, so that retracting it leaves every other row's datasets as they are.
  'POST /admin/datasets/{id}/retraction': {
    params: once(async (w) => ({ id: await speechRelease(w) })),
    json: () => ({ reason: 'The community asked for it back.' }),
  },
  // The class it has already: the admin's change is a no-op, so later rows keep a gated dataset.
  'PUT /admin/datasets/{id}/access': { params: (w) => ({ id: w.datasets.gated.id }), json: () => ({ accessClass: 'gated' }) },
  'POST /admin/access-requests/{id}/decision': {
    params: once(async (w) => ({ id: await grantOn(w, w.datasets.gated.id) })),
    json: () => ({ decision: 'approved' }),
  },
  'POST /admin/prompts': { json: () => ({ language: 'sw', prompts: [{ text: 'Ndugu zetu wamefika salama kutoka mjini.' }] }) },
  'POST /admin/prompts/file': {
    json: () => ({ language: 'sw', fileName: 'sentensi.txt', text: 'Wageni wetu watawasili kesho asubuhi mapema.\n' }),
  },
  // A resolved report cannot be resolved again: each caller gets an open one.
  'POST /admin/reports/{id}/resolution': {
    params: async (w) => ({ id: await openReport(w) }),
    json: () => ({ decision: 'dismiss' }),
  },
  'GET /admin/contributors/{id}': { params: (w) => ({ id: w.principals.volunteer.id }) },
  // Non-admins try to make the volunteer an admin; the admin's change is a no-op, so later rows keep their volunteer.
  'PUT /admin/contributors/{id}/role': {
    params: (w) => ({ id: w.principals.volunteer.id }),
    json: (_w, caller) => ({ role: caller === 'admin' ? 'volunteer' : 'admin' }),
  },

  'POST /api/v1/uploads': { headers: (w) => tusCreate(w.prompts.toRecord) },
  'HEAD /api/v1/uploads/{id}': { params: (w) => ({ id: w.upload }), headers: () => ({ 'tus-resumable': '1.0.0' }) },
  'GET /api/v1/uploads/{id}': { params: (w) => ({ id: w.upload }), headers: () => ({ 'tus-resumable': '1.0.0' }) },
  'PATCH /api/v1/uploads/{id}': {
    params: (w) => ({ id: w.upload }),
    headers: () => ({ 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }),
    bytes: new Uint8Array(10),
  },
  'DELETE /api/v1/uploads/{id}': { params: (w) => ({ id: w.upload }), headers: () => ({ 'tus-resumable': '1.0.0' }) },
};

function recordingForm(w: World): FormData {
  const form = new FormData();
  form.set('promptId', w.prompts.toRecord);
  form.set('audio', new Blob([w.clip], { type: 'audio/webm' }), 'sw.webm');
  return form;
}

/** A tus upload of the volunteer's clip, finished (so a sample): its upload id. */
async function finishedUpload(w: World): Promise<string> {
  const headers = { authorization: `Bearer ${w.principals.volunteer.token}`, 'tus-resumable': '1.0.0' };
  const created = await fetch(`${w.t.url}/api/v1/uploads`, {
    method: 'POST',
    headers: { ...headers, 'upload-length': String(w.clip.byteLength), 'upload-metadata': tusCreate(w.prompts.toRecord)['upload-metadata'] },
  });
  if (created.status !== 201) throw new Error(`upload: expected 201, got ${created.status}`);
  const location = new URL(created.headers.get('location')!, w.t.url);
  const finished = await fetch(location, {
    method: 'PATCH',
    headers: { ...headers, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
    body: w.clip,
  });
  expectStatus({ status: finished.status, body: await finished.text() }, 201, 'finished upload');
  return location.pathname.split('/').pop()!;
}

async function consentOf(w: World, token: string): Promise<string> {
  const given = await w.t.api.post('/consents', w.notice, token);
  return expectStatus(given, 201, 'consent').recordId;
}

/** A signed notice: the gated dataset made on-request and gated again, by the admin. */
async function accessChangeNotice(w: World): Promise<string> {
  const path = `/admin/datasets/${w.datasets.gated.id}/access`;
  const changed = expectStatus(await w.t.api.put(path, { accessClass: 'on-request' }, w.principals.admin.token), 200, 'access change');
  expectStatus(await w.t.api.put(path, { accessClass: 'gated' }, w.principals.admin.token), 200, 'access change');
  return changed.notice.id;
}

/** A Swahili speech release (the volunteer's validated clip): its id. */
async function speechRelease(w: World): Promise<string> {
  const built = expectStatus(await w.t.api.post('/admin/releases', { language: 'sw', modality: 'speech' }, w.principals.admin.token), 201, 'release');
  return built.release.datasetId;
}

async function grantOn(w: World, datasetId: string): Promise<string> {
  const requested = await w.t.api.post(`/datasets/${datasetId}/access`, accessRequest);
  return expectStatus(requested, 201, 'access request').grant.id;
}

/** A report from a newcomer, so each one is new and open. */
async function openReport(w: World): Promise<string> {
  const reporter = await w.t.api.post('/contributors', {});
  const reported = await w.t.api.post(`/prompts/${w.prompts.reportable}/reports`, { reason: 'spam' }, reporter.body.token);
  return expectStatus(reported, 201, 'report').id;
}

function expectStatus(res: { status: number; body: any }, status: number, what: string): any {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

// ---------------------------------------------------------------------------------------------
// Asking and judging.

interface Answer {
  status: number;
  code: string | undefined;
  /** The body when it is text (JSON, Markdown); empty for audio and shards. */
  text: string;
  /** A HEAD answer has no body to carry an error code. */
  bodiless: boolean;
}

async function ask(url: string, method: string, token: string | undefined, probe: Probe, w: World, caller: Caller): Promise<Answer> {
  const headers: Record<string, string> = { ...probe.headers?.(w, caller) };
  if (token) headers.authorization = `Bearer ${token}`;
  let body: RequestInit['body'];
  if (probe.json) {
    body = JSON.stringify(probe.json(w, caller));
    headers['content-type'] = 'application/json';
  } else if (probe.form) {
    body = probe.form(w, caller);
  } else if (probe.bytes) {
    body = probe.bytes;
  }
  const response = await fetch(url, { method, headers, body });
  const type = response.headers.get('content-type') ?? '';
  const bytes = new Uint8Array(await response.arrayBuffer());
  const binary = /^(audio|video)\/|octet-stream|parquet|x-tar/.test(type);
  const text = binary ? '' : new TextDecoder().decode(bytes);
  let code: string | undefined;
  try {
    code = JSON.parse(text)?.error?.code;
  } catch {
    // not JSON (tus answers some refusals in plain text)
  }
  return { status: response.status, code, text, bodiless: method === 'HEAD' };
}

function meets(outcome: Outcome, answer: Answer): boolean {
  switch (outcome) {
    case 'allowed':
      return answer.status >= 200 && answer.status < 300;
    case 404:
      return answer.status === 404 && (answer.code === 'NotFound' || answer.bodiless);
    default:
      return answer.status === outcome;
  }
}

function fill(path: string, params: Params): string {
  return path.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for ${whole}`);
    // A splat parameter (a shard's name) keeps its slashes.
    return value.split('/').map(encodeURIComponent).join('/');
  });
}

/**
 * Asks one route as every caller and returns what disagrees with the table: each mismatch
 * names the route, the state, the caller, what was expected and what came back.
 */
async function walk(
  w: World,
  route: string,
  origin: string,
  expected: Partial<Record<Caller, Outcome>>,
  probe: Probe,
): Promise<{ mismatches: string[]; asked: number }> {
  const [method, path] = route.split(' ') as [string, string];
  const mismatches: string[] = [];
  let asked = 0;
  const tokens: Partial<Record<Caller, string>> = {};
  for (const caller of CALLERS) {
    if (caller === 'anonymous') continue;
    tokens[caller] = probe.fresh
      ? (await newPrincipal(w.t, caller === 'other' ? 'volunteer' : caller, w.principals.admin.token)).token
      : w.principals[caller].token;
  }
  const secrets = probe.fresh
    ? []
    : [
        ['contributor id', w.principals.volunteer.id],
        ['token', w.principals.volunteer.token],
        ['consent record', w.principals.volunteer.consentRecordId],
        ['pseudonym', w.pseudonym],
      ];
  for (const caller of ORDER) {
    const outcome = expected[caller];
    if (outcome === undefined) continue;
    asked++;
    let answer: Answer;
    try {
      const url = origin + fill(path, (await probe.params?.(w, caller)) ?? {}) + (probe.query ? `?${probe.query}` : '');
      answer = await ask(url, method, tokens[caller], probe, w, caller);
    } catch (error) {
      mismatches.push(`${route} as ${caller}: could not ask (${(error as Error).message})`);
      continue;
    }
    if (!meets(outcome, answer)) {
      const got = `${answer.status}${answer.code ? ` ${answer.code}` : ''}`;
      const detail = answer.status >= 400 || outcome !== 'allowed' ? `: ${answer.text.slice(0, 160)}` : '';
      mismatches.push(`${route} as ${caller}: expected ${outcome}, got ${got}${detail}`);
    }
    if (STRANGERS.has(caller)) {
      for (const [what, secret] of secrets) {
        if (answer.text.includes(secret!)) mismatches.push(`${route} as ${caller}: the answer shows the volunteer's ${what}`);
      }
    }
  }
  return { mismatches, asked };
}

// ---------------------------------------------------------------------------------------------

describe('authorization matrix', () => {
  let t: TestNode;
  let w: World;
  /** The OpenAPI document's routes, in its order, as `METHOD /path`. */
  let routes: string[];
  let apiOrigin: string;

  beforeAll(async () => {
    t = await startTestNode();
    const principals = await makePrincipals(t);
    const { volunteer, other, reviewer, admin } = principals;
    const pseudonym = 'mmiliki-wa-sampuli';
    expectStatus(await t.api.patch('/me', { pseudonym }, volunteer.token), 200, 'pseudonym');
    const shown = (await t.api.get('/consent/notice?lang=en')).body;
    const notice = {
      noticeId: shown.id as string,
      noticeSha256: shown.sha256 as string,
      purposes: shown.purposes.filter((p: { required: boolean }) => p.required).map((p: { id: string }) => p.id) as string[],
    };

    const [pendingPrompt, validatedPrompt, rejectedPrompt, reportedPrompt, toRecord, reportable] = importPrompts(t, 'sw', [
      sentences['sw.webm'],
      sentences['speech-5s.webm'],
      'Mvua kubwa ilinyesha usiku kucha na barabara zimejaa maji.',
      'Soko la samaki hufunguliwa mapema asubuhi kila Jumamosi.',
      'Karibu sana nyumbani kwetu leo.',
      'Tunapenda kusikiliza hadithi za bibi jioni.',
    ]) as [string, string, string, string, string, string];
    const clip = new Uint8Array(readFileSync(audioFixtures().files['sw.webm']));
    const vote = async (sampleId: string, value: 'up' | 'down') => {
      for (const voter of [other, reviewer]) {
        expectStatus(await t.api.post(`/samples/${sampleId}/votes`, { value }, voter.token), 201, 'vote');
      }
    };
    const record = async (promptId: string) =>
      expectStatus(await postRecording(t.url, volunteer.token, { promptId }, { bytes: clip, name: 'sw.webm' }), 201, 'recording')
        .id as string;
    const write = async (language: string, text: string) =>
      expectStatus(await t.api.post('/samples/text', { language, text }, volunteer.token), 201, 'text').id as string;

    const pendingClip = await record(pendingPrompt);
    const validatedClip = await record(validatedPrompt);
    await vote(validatedClip, 'up');
    const rejectedClip = await record(rejectedPrompt);
    await vote(rejectedClip, 'down');
    const reportedClip = await record(reportedPrompt);
    await vote(reportedClip, 'up');
    expectStatus(await t.api.post(`/samples/${reportedClip}/reports`, { reason: 'personal-data' }, other.token), 201, 'report');
    const text = await write('sw', 'Mama yangu anauza matunda sokoni kila asubuhi.');
    const reportableText = await write('sw', 'Jirani yetu amejenga nyumba mpya karibu na mto.');
    const proposed = expectStatus(
      await t.api.post('/prompts', { language: 'sw', text: 'Paka wetu analala juani mchana kutwa.' }, volunteer.token),
      201,
      'proposal',
    ).id as string;

    // Released: Swahili text (open) and Yoruba text (gated). English waits for POST /admin/releases.
    await vote(await write('sw', 'Wakulima wa kijiji chetu wamevuna mahindi mengi mwaka huu.'), 'up');
    await vote(await write('yo', 'Mo fẹ́ràn láti ka ìwé ní àárọ̀ kùtùkùtù.'), 'up');
    await vote(await write('en', 'The children walked to school together in the morning.'), 'up');
    const release = async (language: string, accessClass: string) => {
      const built = expectStatus(
        await t.api.post('/admin/releases', { language, modality: 'text', accessClass }, admin.token),
        201,
        'release',
      );
      return { id: built.release.datasetId as string, shard: built.shards[0].name as string };
    };
    const datasets = { open: await release('sw', 'open'), gated: await release('yo', 'gated') };

    const created = await fetch(`${t.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${volunteer.token}`, ...tusCreate(toRecord) },
    });
    if (created.status !== 201) throw new Error(`tus create: ${created.status} ${await created.text()}`);
    const upload = created.headers.get('location')!.split('/').pop()!;

    w = {
      t,
      principals,
      pseudonym,
      notice,
      clip,
      prompts: { toRecord, reportable, proposed },
      samples: { text, reportable: reportableText, pendingClip, validatedClip, rejectedClip, reportedClip },
      datasets,
      upload,
    };

    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as {
      servers: Array<{ url: string }>;
      paths: Record<string, Record<string, unknown>>;
    };
    apiOrigin = t.url + new URL(doc.servers[0]!.url).pathname;
    routes = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
  });
  afterAll(() => t?.stop());

  it('has a row for every route in the OpenAPI document, and none for a route it lacks', () => {
    const problems = [
      ...routes.filter((r) => !(r in EXPECTED)).map((r) => `add a row for ${r} to EXPECTED: who may call it?`),
      ...Object.keys(EXPECTED)
        .filter((r) => !routes.includes(r))
        .map((r) => `EXPECTED has a row for ${r}, which the OpenAPI document no longer has`),
      ...Object.keys(PROBES)
        .filter((r) => !(r in EXPECTED) && !(r in OUTSIDE_OPENAPI))
        .map((r) => `PROBES has ${r}, which no table has`),
    ];
    expect(problems).toEqual([]);
    expect(routes.length).toBeGreaterThan(30);
  });

  it('answers every route, for every caller, as the table says', async () => {
    const mismatches: string[] = [];
    let asked = 0;
    for (const route of routes) {
      const rows = EXPECTED[route];
      if (!rows) continue; // reported by the coverage test
      const probes = PROBES[route];
      const states: Array<[string, Row, Probe | undefined]> = isRow(rows)
        ? [[route, rows, probes as Probe | undefined]]
        : Object.entries(rows).map(([state, row]) => [
            `${route} [${state}]`,
            row,
            (probes as Record<string, Probe> | undefined)?.[state],
          ]);
      for (const [label, row, probe] of states) {
        if (/\{\w+\}/.test(route) && !probe?.params) {
          mismatches.push(`${label}: add a probe to PROBES naming the volunteer's resource for its path parameters`);
          continue;
        }
        const result = await walk(w, route, apiOrigin, cells(row), probe ?? {});
        asked += result.asked;
        mismatches.push(...result.mismatches.map((m) => m.replace(route, label)));
      }
    }
    expect(mismatches).toEqual([]);
    expect(asked).toBeGreaterThanOrEqual(routes.length * CALLERS.length);
  });

  it('answers the routes outside the OpenAPI document (discovery, resumable uploads) as the table says', async () => {
    const mismatches: string[] = [];
    for (const [route, expected] of Object.entries(OUTSIDE_OPENAPI)) {
      const result = await walk(w, route, t.url, expected, (PROBES[route] as Probe | undefined) ?? {});
      mismatches.push(...result.mismatches);
    }
    expect(mismatches).toEqual([]);
  });

  it('opens a gated dataset’s shards to an approved grant’s token', async () => {
    const { id, shard } = w.datasets.gated;
    const requested = expectStatus(await t.api.post(`/datasets/${id}/access`, accessRequest), 201, 'access request');
    const download = await fetch(`${apiOrigin}/datasets/${id}/shards/${shard}`, {
      headers: { authorization: `Bearer ${requested.token}` },
    });
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });
});

function isRow(rows: Rows): rows is Row {
  return Array.isArray(rows);
}
