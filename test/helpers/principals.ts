import type { ApiClient, TestNode } from './node.js';

/** Who calls a route, as an authorization test sees it. */
export type Caller = 'anonymous' | 'volunteer' | 'other' | 'reviewer' | 'admin';
export type SignedIn = Exclude<Caller, 'anonymous'>;

export const CALLERS = ['anonymous', 'volunteer', 'other', 'reviewer', 'admin'] as const satisfies readonly Caller[];

export interface Principal {
  id: string;
  token: string;
}

/**
 * Records consent to the node's required purposes for a contributor who already has a token
 * (the admin, a promoted reviewer), so that a refusal they get is about their role and not
 * about consent. Returns the record id.
 */
export async function giveConsent(api: ApiClient, token: string): Promise<string> {
  const notice = (await api.get('/consent/notice?lang=en')).body;
  const purposes = notice.purposes.filter((p: { required: boolean }) => p.required).map((p: { id: string }) => p.id);
  const given = await api.post('/consents', { noticeId: notice.id, noticeSha256: notice.sha256, purposes }, token);
  if (given.status !== 201) throw new Error(`consent failed: ${JSON.stringify(given.body)}`);
  return given.body.recordId as string;
}

/** A new contributor of the given kind, promoted by the admin through the API when it is not a volunteer. */
export async function newPrincipal(t: TestNode, kind: SignedIn, adminToken: string): Promise<Principal> {
  const joined = await t.api.post('/contributors', {});
  if (joined.status !== 201) throw new Error(`join failed: ${JSON.stringify(joined.body)}`);
  const principal = { id: joined.body.contributor.id as string, token: joined.body.token as string };
  if (kind === 'reviewer' || kind === 'admin') {
    const promoted = await t.api.put(`/admin/contributors/${principal.id}/role`, { role: kind }, adminToken);
    if (promoted.status !== 200) throw new Error(`promotion failed: ${JSON.stringify(promoted.body)}`);
  }
  return principal;
}

/**
 * The four signed-in callers, each with active consent: "volunteer" owns the resources a test
 * makes, "other" is a second volunteer, "reviewer" is promoted by the admin, and "admin" holds a
 * token as the CLI issues it.
 */
export async function makePrincipals(t: TestNode): Promise<Record<SignedIn, Principal & { consentRecordId: string }>> {
  const issued = t.node.context.contributors.issueAdminToken();
  const admin = { id: issued.contributor.id, token: issued.token };
  const signedIn = async (kind: SignedIn) => {
    const principal = kind === 'admin' ? admin : await newPrincipal(t, kind, admin.token);
    return { ...principal, consentRecordId: await giveConsent(t.api, principal.token) };
  };
  return {
    volunteer: await signedIn('volunteer'),
    other: await signedIn('other'),
    reviewer: await signedIn('reviewer'),
    admin: await signedIn('admin'),
  };
}
