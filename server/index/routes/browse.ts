import type express from 'express';
import type { RequestHandler } from 'express';
import { TributaryError } from '../../core/errors.js';
import type { Catalogue } from '../services/catalogue.js';
import { BROWSE_CSS, browsePage, type BrowseFilters } from '../views/browse-page.js';
import { searchQuery } from './catalogue.schema.js';

const FIELDS = ['q', 'lang', 'modality', 'license', 'access', 'permits', 'minHours', 'minRecords', 'node'] as const;

/**
 * The browse page at `/`: the search route's filters as a form, one page of results. HTTP only:
 * the query is parsed with the same schema as GET /api/v1/manifests; a bad value is shown on
 * the page with a 400.
 */
export function browseRoutes(app: express.Express, services: { catalogue: Catalogue; indexName: string; rateLimit: RequestHandler }): void {
  app.get('/browse.css', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/css').send(BROWSE_CSS);
  });

  // A search per request, as the API's: under the same budget.
  app.get('/', services.rateLimit, async (req, res, next) => {
    const filters: BrowseFilters = {};
    const raw: Record<string, string> = {};
    for (const field of [...FIELDS, 'cursor', 'limit'] as const) {
      const value = req.query[field];
      if (typeof value === 'string' && value.trim() !== '') raw[field] = value.trim().slice(0, 300);
    }
    for (const field of FIELDS) if (raw[field] !== undefined) filters[field] = raw[field];
    const render = (status: number, page: Parameters<typeof browsePage>[0]['page'], error: string | null, nextHref: string | null) => {
      res.status(status).type('text/html; charset=utf-8').send(browsePage({ indexName: services.indexName, filters, page, error, nextHref }));
    };
    const parsed = searchQuery.safeParse(raw);
    if (!parsed.success) {
      return render(400, null, parsed.error.issues.map((i) => i.message).join('; '), null);
    }
    try {
      const page = await services.catalogue.search(parsed.data);
      const next = page.next ? `/?${new URLSearchParams({ ...filters, ...(raw.limit ? { limit: raw.limit } : {}), cursor: page.next } as Record<string, string>).toString()}` : null;
      render(200, page, null, next);
    } catch (error) {
      if (error instanceof TributaryError && error.code === 'InvalidRequest') return render(400, null, error.message, null);
      next(error);
    }
  });
}
