// views.js: the desk's views. Each takes the view element and the URL's
// parameters, fetches what it shows and fills the element with DOM nodes
// (dom.js): article text is always text, never markup.
import { get } from './api.js';
import { h, append, clear, link, time, snippetNodes, markedText, queryTerms } from './dom.js';

const HOUR = 3600e3;

// The search parameters the URL may carry and the API takes. tag, language
// and author are forwarded when present (facet filters of newer servers).
export const SEARCH_PARAMS = ['q', 'source', 'from', 'to', 'sort', 'entity', 'duplicates',
  'tag', 'language', 'author', 'cursor'];

function section(title, ...children) {
  const id = 'h-' + title.toLowerCase().replace(/\W+/g, '-');
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

function meta(...parts) {
  const out = h('p', { class: 'meta' });
  parts.filter(Boolean).forEach((p, i) => append(out, [i ? ' · ' : '', p]));
  return out;
}

function articleItem(a, terms) {
  return h('li', { class: 'item' },
    h('h3', {}, link({ article: a.id }, ...markedText(a.title, terms || []))),
    meta(a.source, time(a.published_at || a.ingested_at),
      a.story ? link({ story: a.story }, 'story') : null,
      a.duplicate_of ? h('span', {}, 'copy of ', link({ article: a.duplicate_of }, a.duplicate_of)) : null));
}

function empty(text) { return h('p', { class: 'muted' }, text); }

// ---- search ---------------------------------------------------------------

// A facet answer, whatever its exact shape: {name: [{value|name|key, count}]}
// or {name: {value: count}}. Each value becomes a link that adds the filter.
function facetPanel(facets, params) {
  const box = h('nav', { class: 'facets', 'aria-label': 'Filters' });
  for (const [name, values] of Object.entries(facets || {})) {
    const list = Array.isArray(values) ? values
      : Object.entries(values || {}).map(([value, count]) => ({ value, count }));
    if (!list.length) continue;
    const ul = h('ul', {});
    for (const v of list.slice(0, 12)) {
      const value = String(v.value ?? v.name ?? v.key ?? v.id ?? '');
      if (!value) continue;
      const active = params.get(name) === value;
      const next = new URLSearchParams(params);
      next.delete('cursor');
      if (active) next.delete(name); else next.set(name, value);
      ul.append(h('li', {}, link(Object.fromEntries(next),
        active ? '✓ ' : '', value, v.count !== undefined ? ` (${v.count})` : '')));
    }
    box.append(h('h3', {}, name), ul);
  }
  return box.childElementCount ? box : null;
}

export async function searchView(el, params, signal) {
  const q = params.get('q') || '';
  const args = {};
  for (const k of SEARCH_PARAMS) if (params.get(k)) args[k] = params.get(k);
  if (!args.duplicates) args.duplicates = 'collapse';
  args.limit = 20;
  const res = await get('/v1/search', args, signal);
  const terms = queryTerms(q);
  const filters = SEARCH_PARAMS.filter((k) => !['q', 'sort', 'cursor'].includes(k) && params.get(k));
  clear(el).append(h('h1', {}, q ? `Search: ${q}` : 'Search'));
  if (filters.length) {
    const p = h('p', { class: 'filters' }, 'Filters: ');
    for (const k of filters) {
      const next = new URLSearchParams(params); next.delete(k); next.delete('cursor');
      p.append(h('span', { class: 'chip' }, `${k}: ${params.get(k)} `,
        link(Object.fromEntries(next), h('span', { 'aria-label': `remove filter ${k}` }, '×'))), ' ');
    }
    el.append(p);
  }
  const layout = h('div', { class: 'search-layout' });
  const results = h('div', { class: 'results' },
    h('p', { class: 'muted', role: 'status' }, `${res.total} ${res.total === 1 ? 'match' : 'matches'}`));
  const ol = h('ol', { class: 'hits' });
  for (const hit of res.hits) {
    ol.append(h('li', { class: 'item hit' },
      h('h2', { class: 'hit-title' }, link({ article: hit.id }, ...markedText(hit.title, terms))),
      meta(hit.source, time(hit.published_at),
        hit.copies > 1 ? `${hit.copies} copies` : null,
        hit.story ? link({ story: typeof hit.story === 'object' ? hit.story.id : hit.story }, 'story') : null),
      h('p', { class: 'snippet' }, ...snippetNodes(hit.snippet))));
  }
  results.append(res.hits.length ? ol : empty('No article matches.'));
  if (res.next_cursor) {
    const next = new URLSearchParams(params); next.set('cursor', res.next_cursor);
    results.append(h('p', { class: 'pager' }, link(Object.fromEntries(next), 'Next page →')));
  }
  if (params.get('cursor')) {
    const first = new URLSearchParams(params); first.delete('cursor');
    results.append(h('p', { class: 'pager' }, link(Object.fromEntries(first), '← First page')));
  }
  const facets = res.facets ? facetPanel(res.facets, params) : null;
  if (facets) layout.append(facets);
  layout.append(results);
  el.append(layout);
}

// ---- front page -----------------------------------------------------------

function storyItem(s) {
  return h('li', { class: 'item' },
    h('h3', {}, link({ story: s.id }, s.title)),
    meta(`${s.articles} ${s.articles === 1 ? 'report' : 'reports'}`,
      `${s.sources.count} ${s.sources.count === 1 ? 'outlet' : 'outlets'}` +
        (s.sources.names.length ? ` (${s.sources.names.slice(0, 4).join(', ')})` : ''),
      h('span', {}, time(s.first_published_at), ' – ', time(s.last_published_at))));
}

export async function frontView(el, params, signal, live) {
  const span = params.get('span') === '7d' ? '7d' : '24h';
  const from = new Date(Date.now() - (span === '7d' ? 7 * 24 : 24) * HOUR).toISOString().replace(/\.\d+Z$/, 'Z');
  const [recent, latest, ents] = await Promise.all([
    // the 50 most recently active in the window, the biggest of them shown
    // (the API lists stories by recency; 50 keeps the call bounded)
    get('/v1/stories', { from, limit: 50, min_articles: 2 }, signal),
    get('/v1/articles', { limit: 15 }, signal),
    get('/v1/entities', { limit: 12 }, signal),
  ]);
  // An archive (nothing in the window): the most recently active stories.
  const stories = recent.stories.length ? recent
    : await get('/v1/stories', { limit: 50, min_articles: 2 }, signal);
  const biggest = stories.stories.slice()
    .sort((a, b) => b.articles - a.articles || b.sources.count - a.sources.count).slice(0, 10);
  clear(el).append(h('h1', { class: 'sr-only' }, 'Front page'));
  const tabs = h('p', { class: 'tabs' },
    span === '24h' ? h('strong', { 'aria-current': 'page' }, 'Last 24 hours') : link({}, 'Last 24 hours'), ' · ',
    span === '7d' ? h('strong', { 'aria-current': 'page' }, 'Last 7 days') : link({ span: '7d' }, 'Last 7 days'));
  const storyList = h('ol', { class: 'list' }, biggest.map(storyItem));
  const latestList = h('ol', { class: 'list', id: 'latest' }, latest.articles.map((a) => articleItem(a)));
  const entList = h('ul', { class: 'entities' }, ents.entities.map((e) =>
    h('li', {}, link({ entity: e.id }, e.name), h('span', { class: 'muted' }, ` ${e.type}, ${e.articles}`))));
  el.append(h('div', { class: 'front' },
    section('Biggest stories', tabs,
      recent.stories.length ? null : empty(`Nothing in the last ${span === '7d' ? '7 days' : '24 hours'}: the most recently active stories.`),
      stories.stories.length ? storyList : empty('No stories yet.'),
      h('p', { class: 'meta' }, 'Most reports first, among the 50 most recently active stories.')),
    section('Latest articles', h('p', { class: 'muted', id: 'livestate', role: 'status' }, 'connecting…'), latestList),
    section('Top entities', ents.entities.length ? entList : empty('No entities yet.'))));
  // Live: a created article is fetched and put on top (at most 15 kept).
  live((type, data) => {
    if (type !== 'article.created' || !data.id) return;
    get('/v1/articles/' + encodeURIComponent(data.id)).then((a) => {
      if (document.getElementById('latest') !== latestList) return; // view changed
      const li = articleItem(a);
      li.classList.add('new');
      latestList.prepend(li);
      while (latestList.children.length > 15) latestList.lastChild.remove();
    }).catch(() => { /* deleted meanwhile */ });
  }, (state) => {
    const s = document.getElementById('livestate');
    if (s) s.textContent = state === 'live' ? 'Live: new articles appear here.' : 'Reconnecting…';
  });
}

// ---- story ----------------------------------------------------------------

export async function storyView(el, params, signal) {
  const s = await get('/v1/stories/' + encodeURIComponent(params.get('story')), {}, signal);
  const members = s.members || [];
  const titleOf = new Map(members.map((m) => [m.id, m]));
  clear(el).append(h('h1', {}, s.title),
    meta(`${s.articles} reports`, `${s.sources.count} outlets`,
      h('span', {}, time(s.first_published_at), ' – ', time(s.last_published_at))));
  const table = h('table', { class: 'members' },
    h('caption', {}, 'Members, oldest first'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, 'Source'),
      h('th', { scope: 'col' }, 'Title'), h('th', { scope: 'col' }, 'Copy of'))),
    h('tbody', {}, members.map((m) => h('tr', { class: m.duplicate_of ? 'copy' : '' },
      h('td', {}, time(m.published_at) || '—'),
      h('td', {}, m.source || '—'),
      h('td', {}, link({ article: m.id }, m.title)),
      h('td', {}, m.duplicate_of
        ? link({ article: m.duplicate_of }, titleOf.has(m.duplicate_of) ? titleOf.get(m.duplicate_of).source || m.duplicate_of : m.duplicate_of)
        : '—')))));
  el.append(h('div', { class: 'scroll' }, table));
  if (s.articles > members.length)
    el.append(empty(`The first ${members.length} of ${s.articles} members.`));
}

// ---- entity ---------------------------------------------------------------

export async function entityView(el, params, signal) {
  const id = encodeURIComponent(params.get('entity'));
  // related entities can take seconds for the most mentioned entities (the
  // server scores up to 5,000 articles): the view shows without them and
  // they fill in when they come (performance measure "part:related").
  const t0 = performance.now();
  const relP = get('/v1/entities/' + id + '/related', { limit: 15 }, signal);
  relP.catch(() => {}); // handled below; not an unhandled rejection meanwhile
  const [e, arts] = await Promise.all([
    get('/v1/entities/' + id, {}, signal),
    get('/v1/entities/' + id + '/articles', { limit: 20, cursor: params.get('cursor') }, signal),
  ]);
  clear(el).append(h('h1', {}, e.name),
    meta(e.type, `${e.articles} articles`, `${e.mentions} mentions`,
      e.aliases && e.aliases.length ? 'also: ' + e.aliases.slice(0, 8).join(', ') : null),
    h('p', {}, link({ q: '"' + e.name.replace(/"/g, '') + '"', entity: e.id }, 'Search within its articles')));
  const relBox = h('div', { 'aria-busy': 'true' }, empty('Loading…'));
  relP.then((rel) => {
    clear(relBox).append(rel.related.length ? h('ul', { class: 'entities' }, rel.related.map((r) =>
      h('li', {}, link({ entity: r.id }, r.name), h('span', { class: 'muted' }, ` ${r.type}, together ${r.together}`))))
      : empty('None yet.'));
    relBox.setAttribute('aria-busy', 'false');
    performance.measure('part:related', { start: t0, end: performance.now() });
  }, (err) => {
    if (err.name === 'AbortError') return;
    clear(relBox).append(h('p', { class: 'error' }, 'Related entities could not be loaded: ' + err.message));
    relBox.setAttribute('aria-busy', 'false');
  });
  const list = h('ol', { class: 'list' }, arts.articles.map((a) => articleItem(a)));
  const more = arts.next_cursor
    ? h('p', { class: 'pager' }, link({ entity: params.get('entity'), cursor: arts.next_cursor }, 'More articles →')) : null;
  el.append(h('div', { class: 'front' },
    section('Articles', arts.articles.length ? list : empty('No articles.'), more),
    section('Related entities', relBox)));
}

// ---- article --------------------------------------------------------------

// The body with each entity mention marked, from the mentions' code point
// offsets (openapi.yaml, ArticleEntities): text nodes and <a> only.
function bodyWithMentions(body, ents) {
  const cps = Array.from(body);
  const spans = [];
  for (const e of ents)
    for (const m of e.mentions || [])
      if (m.start >= 0 && m.end <= cps.length && m.start < m.end) spans.push({ ...m, e });
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out = [];
  let at = 0;
  for (const s of spans) {
    if (s.start < at) continue; // overlapping: the first one wins
    out.push(cps.slice(at, s.start).join(''));
    const a = link({ entity: s.e.id }, cps.slice(s.start, s.end).join(''));
    a.className = 'mention ' + s.e.type;
    a.title = `${s.e.name} (${s.e.type})`;
    out.push(a);
    at = s.end;
  }
  out.push(cps.slice(at).join(''));
  // paragraphs at blank lines, each holding its share of the nodes
  const paras = [h('p', {})];
  for (const n of out) {
    if (typeof n !== 'string') { paras[paras.length - 1].append(n); continue; }
    n.split(/\n\s*\n/).forEach((chunk, i) => {
      if (i) paras.push(h('p', {}));
      paras[paras.length - 1].append(chunk);
    });
  }
  return paras;
}

export async function articleView(el, params, signal) {
  const id = encodeURIComponent(params.get('article'));
  const [a, ents, dups] = await Promise.all([
    get('/v1/articles/' + id, {}, signal),
    get('/v1/articles/' + id + '/entities', {}, signal).catch(() => ({ entities: [] })),
    get('/v1/articles/' + id + '/duplicates', {}, signal).catch(() => null),
  ]);
  clear(el);
  const safeUrl = a.url && /^https?:\/\//i.test(a.url) ? a.url : null; // no javascript: links
  el.append(h('article', { class: 'article' },
    h('h1', {}, a.title),
    meta(a.source, a.author, time(a.published_at), a.language,
      a.story ? link({ story: a.story }, 'its story') : null,
      a.duplicate_of ? h('span', {}, 'copy of ', link({ article: a.duplicate_of }, a.duplicate_of)) : null,
      safeUrl ? h('a', { href: safeUrl, rel: 'noopener noreferrer nofollow' }, 'original') : (a.url ? a.url : null)),
    (a.tags || []).length ? h('p', { class: 'tags' }, 'Tags: ', a.tags.join(', ')) : null,
    h('div', { class: 'body' }, bodyWithMentions(a.body || '', ents.entities || []))));
  const side = h('div', { class: 'front' });
  side.append(section('Entities', (ents.entities || []).length
    ? h('ul', { class: 'entities' }, ents.entities.map((e) =>
      h('li', {}, link({ entity: e.id }, e.name), h('span', { class: 'muted' }, ` ${e.type}, ${e.mentions.length}×`))))
    : empty('None found.')));
  // GET /v1/articles/{id}/duplicates: {exact: [...], near: [...]}
  const near = dups ? [].concat(dups.exact || [], dups.near || [])
    .map((d) => (typeof d === 'string' ? { id: d } : d)) : [];
  side.append(section('Duplicates', near.length
    ? h('ul', { class: 'list' }, near.map((d) => h('li', {},
      link({ article: d.id }, d.title || d.id),
      d.containment !== undefined ? h('span', { class: 'muted' }, ` ${Math.round(d.containment * 100)}% contained`) : null)))
    : empty('No copies known.')));
  el.append(side);
}
