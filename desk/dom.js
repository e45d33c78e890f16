// dom.js: building DOM nodes from data. Article text only ever becomes a text
// node (textContent / createTextNode): no HTML from the API is parsed.

// h('a', {href, class}, child...): an element; strings become text nodes.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return el;
}

const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'" };
function unescapeHtml(s) {
  return s.replace(/&(?:amp|lt|gt|quot|#39|#x27);/g, (m) => ENTITIES[m]);
}

// The API's snippet is escaped HTML with <mark> around matches (openapi.yaml,
// SearchHit.snippet). It is split on the two tags alone and every other byte
// is text: whatever the article held is shown as text, never as markup.
export function snippetNodes(snippet) {
  const out = [];
  const parts = String(snippet || '').split(/(<mark>|<\/mark>)/);
  let marked = false;
  for (const p of parts) {
    if (p === '<mark>') { marked = true; continue; }
    if (p === '</mark>') { marked = false; continue; }
    if (p === '') continue;
    const text = unescapeHtml(p);
    out.push(marked ? h('mark', {}, text) : document.createTextNode(text));
  }
  return out;
}

// The words of a query, for marking them in a title (case-insensitive,
// prefixes with *, exclusions and OR left out).
export function queryTerms(q) {
  const terms = [];
  for (const m of String(q || '').matchAll(/"([^"]*)"|(\S+)/g)) {
    const raw = m[1] !== undefined ? m[1] : m[2];
    if (!raw || raw === 'OR' || raw.startsWith('-')) continue;
    for (const w of raw.split(/\s+/)) {
      const t = w.replace(/\*$/, '').replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
      if (t.length >= 2) terms.push(t);
    }
  }
  return terms;
}

// text with every occurrence of a term in <mark> (text nodes only).
export function markedText(text, terms) {
  text = String(text || '');
  if (!terms.length) return [document.createTextNode(text)];
  const esc = terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const re = new RegExp('(' + esc.join('|') + ')', 'giu');
  // split with one capturing group: the matches are the odd parts
  return text.split(re).map((p, i) => (i % 2 ? h('mark', {}, p) : document.createTextNode(p)));
}

const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export function time(iso) {
  if (!iso) return null;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', {}, iso);
  return h('time', { datetime: iso }, fmt.format(d));
}

// A link inside the page: a real href (shareable, opens in a new tab) that
// app.js routes without a reload.
export function link(params, ...children) {
  const qs = new URLSearchParams(params).toString();
  return h('a', { href: '/' + (qs ? '?' + qs : ''), 'data-nav': true }, ...children);
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}
