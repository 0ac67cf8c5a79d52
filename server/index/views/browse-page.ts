import type { SearchPage } from '../services/catalogue.js';

/** The form's fields, as the visitor typed them (echoed back, escaped). */
export type BrowseFilters = Partial<Record<'lang' | 'modality' | 'license' | 'access' | 'permits' | 'q' | 'minHours' | 'minRecords' | 'node', string>>;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every text that reaches the page goes through here: names and descriptions come from nodes. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const number = new Intl.NumberFormat('en');

function select(name: string, label: string, options: string[], value: string | undefined): string {
  const choices = ['', ...options]
    .map((o) => `<option value="${escapeHtml(o)}"${o === (value ?? '') ? ' selected' : ''}>${escapeHtml(o || 'any')}</option>`)
    .join('');
  return `<label>${escapeHtml(label)} <select name="${name}">${choices}</select></label>`;
}

function input(name: string, label: string, value: string | undefined, placeholder: string): string {
  return `<label>${escapeHtml(label)} <input name="${name}" value="${escapeHtml(value ?? '')}" placeholder="${escapeHtml(placeholder)}" maxlength="200"></label>`;
}

/**
 * The index's browse page: a search form and one page of current datasets. Server-rendered,
 * read-only, no scripts (it works without JavaScript and under the default CSP); the stylesheet
 * is a file of the same origin.
 */
export function browsePage(options: { indexName: string; filters: BrowseFilters; page: SearchPage | null; error: string | null; nextHref: string | null }): string {
  const { indexName, filters, page, error } = options;
  const rows = (page?.manifests ?? [])
    .map((m) => {
      const fresh = m.node.stale ? `<span class="stale">stale</span>` : `<span class="fresh">fresh</span>`;
      return `<tr>
<td><a href="/api/v1/manifests/${escapeHtml(m.id)}">${escapeHtml(m.name || m.dataset)}</a><div class="muted">${escapeHtml(m.dataset)} ${escapeHtml(m.version)}</div></td>
<td>${escapeHtml(m.language.tag ?? '')}</td>
<td>${escapeHtml(m.modality)}</td>
<td class="num">${escapeHtml(number.format(m.records))}</td>
<td class="num">${m.hours === null ? '' : escapeHtml(number.format(m.hours))}</td>
<td>${escapeHtml(m.license)}</td>
<td>${escapeHtml(m.accessClass)}</td>
<td>${escapeHtml(m.permits.join(', '))}</td>
<td><a href="${escapeHtml(m.node.url)}">${escapeHtml(m.node.name)}</a> ${fresh}<div class="muted">last heard ${escapeHtml(m.node.lastHeardAt.slice(0, 16).replace('T', ' '))} UTC</div></td>
</tr>`;
    })
    .join('\n');
  const totals = page?.totals;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(indexName)}: datasets</title>
<link rel="stylesheet" href="/browse.css">
</head>
<body>
<header><h1>${escapeHtml(indexName)}</h1><p>Datasets that community nodes publish, signed by them and logged here. Data is downloaded from each node, under its terms.</p></header>
<form method="get" action="/">
${input('q', 'Search', filters.q, 'words in names and descriptions')}
${input('lang', 'Language', filters.lang, 'sw, sw-KE, pa')}
${select('modality', 'Modality', ['text', 'speech'], filters.modality)}
${input('license', 'Licence', filters.license, 'CC-BY-4.0')}
${select('access', 'Access', ['open', 'gated', 'on-request'], filters.access)}
${select('permits', 'Permits', ['train', 'train-asr', 'train-tts', 'train-lm', 'evaluate', 'commercial-model', 'redistribute'], filters.permits)}
${input('minHours', 'At least hours', filters.minHours, '10')}
${input('minRecords', 'At least records', filters.minRecords, '1000')}
${input('node', 'Node', filters.node, 'did:web:node.example')}
<button type="submit">Search</button> <a href="/">Clear</a>
</form>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
${
  totals
    ? `<p class="totals">${escapeHtml(number.format(totals.datasets))} datasets · ${escapeHtml(number.format(totals.records))} records · ${escapeHtml(number.format(Math.round(totals.hours * 10) / 10))} hours · ${escapeHtml(number.format(totals.speakers))} speakers · ${escapeHtml(number.format(totals.nodes))} nodes</p>`
    : ''
}
<table>
<thead><tr><th>Dataset</th><th>Language</th><th>Modality</th><th>Records</th><th>Hours</th><th>Licence</th><th>Access</th><th>Permits</th><th>Node</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="9">No dataset matches.</td></tr>'}
</tbody>
</table>
<nav>${options.nextHref ? `<a rel="next" href="${escapeHtml(options.nextHref)}">Next page</a>` : ''}</nav>
<footer><a href="/api/v1/feed">Change feed</a> · <a href="/api/v1/log/checkpoint">Log checkpoint</a> · <a href="/openapi.json">API</a></footer>
</body>
</html>
`;
}

export const BROWSE_CSS = `body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1b1b1b;max-width:80rem}
h1{margin:0 0 .25rem}header p{margin:0 0 1rem;color:#555}
form{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin-bottom:1rem}
label{display:flex;flex-direction:column;font-size:.85rem}
input,select,button{font:inherit;padding:.25rem .4rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ddd;vertical-align:top}
td.num{text-align:right}.muted{color:#666;font-size:.8rem}
.stale{color:#9a3b00;font-weight:600}.fresh{color:#1a6b2a}.error{color:#a00}
nav,footer{margin-top:1rem}
`;
