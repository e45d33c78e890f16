// app.js: the desk's router. The URL's query string is the state (shareable:
// /?q=lavrov&source=AFP, /?story=12, /?entity=person:x, /?article=id; none:
// the front page). Links marked data-nav change it without a reload. Each
// view's time (from navigation to its DOM filled) is a performance measure
// named "view:<name>" (the browser tests read them).
import { onKeyNeeded, setReadKey, events, ApiError } from './api.js';
import { searchView, frontView, storyView, entityView, articleView } from './views.js';
import { h, clear } from './dom.js';

const view = document.getElementById('view');
const form = document.getElementById('search');
const qInput = document.getElementById('q');
const sortSel = document.getElementById('sort');
let current = null;   // AbortController of the view being loaded
let stopLive = null;  // stops the front page's event stream
let seq = 0;

function pick(params) {
  if (params.get('article')) return ['article', articleView];
  if (params.get('story')) return ['story', storyView];
  if (params.get('entity')) return ['entity', entityView];
  if (params.get('q')) return ['search', searchView];
  return ['front', frontView];
}

async function render() {
  const params = new URLSearchParams(location.search);
  const [name, fn] = pick(params);
  const n = ++seq;
  if (current) current.abort();
  if (stopLive) { stopLive(); stopLive = null; }
  current = new AbortController();
  if (document.activeElement !== qInput) qInput.value = params.get('q') || '';
  sortSel.value = params.get('sort') === 'newest' ? 'newest' : 'relevance';
  document.body.dataset.view = name;
  delete document.body.dataset.shown;
  view.setAttribute('aria-busy', 'true');
  const start = performance.now();
  try {
    await fn(view, params, current.signal, (onEvent, onState) => {
      stopLive = events({ types: 'article.created' }, onEvent, onState);
    });
    if (n !== seq) return;
    performance.measure('view:' + name, { start, end: performance.now() });
    document.body.dataset.shown = name; // the view is filled (tests wait for it)
    if (name !== 'search') document.title = (view.querySelector('h1')?.textContent || 'articled') + ' · articled desk';
  } catch (e) {
    if (e.name === 'AbortError' || n !== seq) return;
    clear(view).append(h('h1', {}, 'Something went wrong'),
      h('p', { class: 'error', role: 'alert' },
        e instanceof ApiError ? `${e.status}: ${e.message}` : String(e.message || e)));
  } finally {
    if (n === seq) view.setAttribute('aria-busy', 'false');
  }
}

function go(url, replace) {
  if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  render();
}

document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[data-nav]');
  if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
  ev.preventDefault();
  go(a.getAttribute('href'));
  view.focus({ preventScroll: false });
});
window.addEventListener('popstate', render);

// Search as you type: 250 ms after the last key, the URL is replaced (one
// history entry per search, not per key) and the results follow.
function searchUrl() {
  const params = new URLSearchParams(pick(new URLSearchParams(location.search))[0] === 'search' ? location.search : '');
  for (const k of ['article', 'story', 'entity', 'cursor', 'span']) params.delete(k);
  const q = qInput.value.trim();
  if (q) params.set('q', q); else params.delete('q');
  if (sortSel.value === 'newest') params.set('sort', 'newest'); else params.delete('sort');
  const qs = params.toString();
  return '/' + (qs ? '?' + qs : '');
}
let timer = null;
qInput.addEventListener('input', () => {
  clearTimeout(timer);
  timer = setTimeout(() => go(searchUrl(), document.body.dataset.view === 'search'), 250);
});
sortSel.addEventListener('change', () => { if (qInput.value.trim()) go(searchUrl()); });
form.addEventListener('submit', (ev) => { ev.preventDefault(); clearTimeout(timer); go(searchUrl()); });

// The read key: asked for when the API answers 401; every waiting call
// resumes once one is given.
const keybox = document.getElementById('keybox');
const keyform = document.getElementById('keyform');
const keyInput = document.getElementById('key');
let keyWaiters = [];
onKeyNeeded((why) => new Promise((resolve) => {
  keyWaiters.push(resolve);
  document.getElementById('keyerror').textContent = why || '';
  if (keybox.hidden) { keybox.hidden = false; keyInput.focus(); }
}));
keyform.addEventListener('submit', (ev) => {
  ev.preventDefault();
  setReadKey(keyInput.value.trim());
  keyInput.value = '';
  keybox.hidden = true;
  const w = keyWaiters; keyWaiters = [];
  w.forEach((r) => r());
});

render();
