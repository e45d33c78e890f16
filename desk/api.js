// api.js: calls to this server's API. The read key (when the server asks for
// one) lives in sessionStorage only, is sent as Authorization: Bearer, and is
// asked for again when the API answers 401. A write key is never asked for:
// the desk only reads.

const KEY = 'articled.readKey';
let askKey = null; // set by app.js: () => Promise<void>, resolved once a key is stored

export function onKeyNeeded(fn) { askKey = fn; }
export function readKey() { return sessionStorage.getItem(KEY); }
export function setReadKey(k) { if (k) sessionStorage.setItem(KEY, k); else sessionStorage.removeItem(KEY); }

function headers() {
  const k = readKey();
  return k ? { Authorization: 'Bearer ' + k } : {};
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || 'HTTP ' + status);
    this.status = status;
    this.problem = problem;
  }
}

// GET path?params as JSON; null and '' params are left out. On 401 it waits
// for a key and tries again (at most 3 times, so a wrong key cannot loop).
export async function get(path, params, signal) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {}))
    if (v !== null && v !== undefined && v !== '') qs.set(k, v);
  const url = path + (qs.toString() ? '?' + qs : '');
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, { headers: headers(), signal });
    if (res.status === 401 && askKey && attempt < 3) {
      await askKey(readKey() ? 'That key was refused.' : '');
      continue;
    }
    const type = res.headers.get('content-type') || '';
    const body = type.includes('json') ? await res.json() : null;
    if (!res.ok) throw new ApiError(res.status, body);
    return body;
  }
}

// The live stream (GET /v1/events) read with fetch rather than EventSource:
// EventSource cannot send an Authorization header, and a key in the URL would
// land in logs. Parses Server-Sent Events; reconnects after a drop with
// `since` = the last id seen (as EventSource does with Last-Event-ID), waiting
// 1 s, then 2, 4… up to 30 s. Returns a function that stops it.
export function events(params, onEvent, onState) {
  const ctl = new AbortController();
  let since = null, delay = 1000;
  (async () => {
    while (!ctl.signal.aborted) {
      try {
        const qs = new URLSearchParams(params || {});
        if (since) qs.set('since', since);
        const res = await fetch('/v1/events' + (qs.toString() ? '?' + qs : ''),
          { headers: { ...headers(), Accept: 'text/event-stream' }, signal: ctl.signal });
        if (res.status === 401 && askKey) { await askKey(''); continue; }
        if (!res.ok || !res.body) throw new Error('events: HTTP ' + res.status);
        onState && onState('live');
        delay = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let cut;
          while ((cut = buf.search(/\r?\n\r?\n/)) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut).replace(/^\r?\n\r?\n/, '');
            const ev = { event: 'message', data: '', id: null };
            for (const line of block.split(/\r?\n/)) {
              if (line.startsWith(':')) continue;
              const i = line.indexOf(':');
              const f = i < 0 ? line : line.slice(0, i);
              const v = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
              if (f === 'data') ev.data += (ev.data ? '\n' : '') + v;
              else if (f === 'event') ev.event = v;
              else if (f === 'id') ev.id = v;
            }
            if (ev.id) since = ev.id;
            if (ev.data) {
              let data = null;
              try { data = JSON.parse(ev.data); } catch { /* not JSON: skip */ }
              if (data) onEvent(ev.event, data);
            }
          }
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
      }
      onState && onState('reconnecting');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 30000);
    }
  })();
  return () => ctl.abort();
}
