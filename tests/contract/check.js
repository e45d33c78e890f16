#!/usr/bin/env node
// check.js: judges the exchanges run.sh recorded, against openapi.yaml, with
// Prism's own router and response validator (@stoplight/prism-http, the code
// `prism proxy --errors` runs), and prints the summary.
//
//   node check.js OPENAPI_YAML EXCHANGE_DIR
//
// Each exchange <n> in EXCHANGE_DIR is <n>.meta (JSON: name, method, path,
// expect, via, reason, pending, head_of, closed), <n>.hdr (the answer's status
// line and headers, as curl -D writes them), <n>.body, and for raw requests
// <n>.closed ("closed" or "open").
//   via "proxy": sent through `prism proxy --errors`, which validated it; a
//     violation shows as an `sl-violations` header or a Prism error answer.
//   via "direct" or "raw": sent to the server itself (meta.reason says why);
//     validated here, with the same validator, against the operation Prism's
//     router picks; an unknown path must be a 404 problem and a known path
//     with another method a 405 whose Allow lists the path's methods.
// A case whose meta.pending names a server change that may not be in yet is
// "pending" (not a failure) when its status is not the expected one.
// Exits 1 on any violation, wrong status, or a documented status that no
// exchange produced (but those a client cannot provoke, listed below).
'use strict';
const fs = require('fs');
const path = require('path');
const { getHttpOperationsFromSpec } = require('@stoplight/prism-http');
const route = require('@stoplight/prism-http/dist/router').default;
const { validateOutput } = require('@stoplight/prism-http/dist/validator');

// Documented statuses no client request can bring about on a sound server:
// 500 (a bug or an I/O failure) and 507 on the article and entity writes (a full disk).
// The snapshot's 507 is provoked with --snapshot-min-free.
const UNPROVOKABLE = new Set(['*:500', 'createArticle:507', 'putArticle:507',
  'deleteArticle:507', 'updateEntity:507', 'mergeEntity:507', 'blockEntity:507',
  'unblockEntity:507']);

function parseHdr(text) {
  // the last block: interim 1xx answers come first
  const blocks = text.split(/\r?\n\r?\n/).filter(b => /^HTTP\//.test(b));
  const last = blocks.length ? blocks[blocks.length - 1] : '';
  const lines = last.split(/\r?\n/);
  const status = lines[0] ? parseInt(lines[0].split(' ')[1], 10) || 0 : 0;
  const headers = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    headers[k] = headers[k] !== undefined ? `${headers[k]},${v}` : v;
  }
  return { status, headers, interim: blocks.slice(0, -1) };
}

function isJson(ct) {
  return /^application\/([a-z.+-]*\+)?json\s*(;|$)/i.test(ct || '');
}

// The operation for method + path, or a router error name.
function findOp(ops, method, p) {
  const r = route({ resources: ops, input: { method: method.toLowerCase(), url: { path: p } } });
  if (r._tag === 'Right') return { op: r.right };
  return { error: r.left.name || String(r.left) };
}

// Diagnostics of element against resource (Prism's validateOutput); for a
// HEAD answer the body schemas are dropped (status, media type and headers
// are still checked).
function validate(resource, element, head) {
  let res = resource;
  if (head) {
    res = Object.assign(Object.create(Object.getPrototypeOf(resource)), resource);
    res.responses = resource.responses.map(r => Object.assign({}, r, {
      contents: (r.contents || []).map(c => ({ mediaType: c.mediaType })),
    }));
  }
  const out = validateOutput({ resource: res, element });
  return out._tag === 'Left' ? out.left : [];
}

async function main() {
  const [specFile, dir] = process.argv.slice(2);
  const ops = await getHttpOperationsFromSpec(path.resolve(specFile));
  const files = fs.readdirSync(dir).filter(f => f.endsWith('.meta'))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  const failures = [];
  const pending = [];
  const seen = new Map(); // "opId:status" -> count
  const pendingPairs = new Set();
  const byVia = {};
  const ex = {};
  const groups = {};
  let violations = 0;

  for (const f of files) {
    const n = f.slice(0, -5);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    const hdr = fs.existsSync(path.join(dir, `${n}.hdr`)) ? fs.readFileSync(path.join(dir, `${n}.hdr`), 'latin1') : '';
    const raw = fs.existsSync(path.join(dir, `${n}.body`)) ? fs.readFileSync(path.join(dir, `${n}.body`)) : Buffer.alloc(0);
    const { status, headers, interim } = parseHdr(hdr);
    const what = `${meta.name}: ${meta.method} ${meta.path.slice(0, 120)} -> ${status || 'no answer'}`;
    const qpath = meta.path.split('?')[0];
    const head = meta.method === 'HEAD';
    ex[n] = { meta, status, headers };
    byVia[meta.via] = (byVia[meta.via] || 0) + 1;

    const found = findOp(ops, meta.method, qpath);
    const opName = found.op ? found.op.iid : null;

    const want = Array.isArray(meta.expect) ? meta.expect : [meta.expect];
    if (meta.group) {
      groups[meta.group] = groups[meta.group] || { want: meta.group_want, pending: meta.pending, hit: false, names: [] };
      groups[meta.group].names.push(meta.name);
      const gw = meta.group_want;
      if (status === gw.status && new RegExp(gw.match).test(raw.toString('utf8'))) groups[meta.group].hit = true;
    }
    if (!want.includes(status)) {
      if (meta.pending) {
        pending.push(`${meta.name} (${meta.pending}): got ${status || 'no answer'}, want ${meta.expect}`);
        if (opName) for (const w of want) pendingPairs.add(`${opName}:${w}`);
        continue;
      }
      failures.push(`${what}: want ${want.join(' or ')}; body: ${raw.toString('utf8').slice(0, 200)}`);
      continue;
    }
    if (meta.closed && fs.existsSync(path.join(dir, `${n}.closed`))) {
      const c = fs.readFileSync(path.join(dir, `${n}.closed`), 'utf8').trim();
      if (c !== meta.closed) {
        if (meta.pending) {
          pending.push(`${meta.name} (${meta.pending}): connection ${c}, want ${meta.closed}`);
          continue;
        }
        failures.push(`${what}: the connection is ${c}, want ${meta.closed}`);
      }
    }
    for (const [key, yes] of [['match', true], ['nomatch', false]]) {
      if (!meta[key] || new RegExp(meta[key]).test(raw.toString('utf8')) === yes) continue;
      const msg = `${what}: the body ${yes ? 'does not match' : 'matches'} /${meta[key]}/: ${raw.toString('utf8').slice(0, 200)}`;
      if (meta.pending) pending.push(`${meta.name} (${meta.pending}): ${msg}`);
      else failures.push(msg);
    }
    if (meta.no_interim && interim.length > 0) {
      const msg = `${what}: an interim answer came first (${interim[0].split(/\r?\n/)[0]})`;
      if (meta.pending) { pending.push(`${meta.name} (${meta.pending}): ${msg}`); continue; }
      failures.push(msg);
    }

    // the body as Prism's proxy reads it
    let body = raw.toString('utf8');
    if (!head && status !== 204 && isJson(headers['content-type'])) {
      try { body = JSON.parse(body); } catch (e) {
        failures.push(`${what}: the body is not JSON: ${body.slice(0, 120)}`);
        violations++;
        continue;
      }
    }
    if (!head && status >= 400 && (typeof body !== 'object' || body === null || body.status !== status)) {
      failures.push(`${what}: a problem whose status is not the answer's`);
      violations++;
    }

    let diags = [];
    if (meta.via === 'proxy') {
      if (headers['sl-violations']) diags.push({ message: `sl-violations: ${headers['sl-violations']}` });
      if (body && typeof body === 'object' && /^https:\/\/stoplight\.io\/prism\/errors/.test(body.type || '')) {
        diags.push({ message: `Prism answered itself: ${body.title} ${JSON.stringify(body.validation || body.detail || '')}` });
      }
    } else if (found.op) {
      diags = validate(found.op, { statusCode: status, headers, body: head ? undefined : body }, head);
    } else if (/NO_PATH_MATCHED/.test(found.error)) {
      // no documented path: a 404 problem, as getArticle documents it
      if (status !== 404) diags.push({ message: 'no documented path matches, so it must be a 404' });
      const get = ops.find(o => o.iid === 'getArticle');
      diags = diags.concat(validate(get, { statusCode: status, headers, body }, head));
    } else if (/NO_METHOD_MATCHED/.test(found.error)) {
      // a documented path without this method: a 405 as each of its operations documents it
      const mine = ops.filter(o => findOp([o], o.method, qpath).op);
      const want = new Set(mine.map(o => o.method.toUpperCase()));
      const got = new Set((headers.allow || '').split(',').map(s => s.trim()).filter(Boolean));
      if (status !== 405) diags.push({ message: 'the path has no such method, so it must be a 405' });
      if (want.size !== got.size || [...want].some(m => !got.has(m))) {
        diags.push({ message: `Allow '${headers.allow || ''}' is not the documented methods ${[...want].join(', ')}` });
      }
      for (const o of mine) diags = diags.concat(validate(o, { statusCode: status, headers, body }, head));
      for (const o of mine) seen.set(`${o.iid}:${status}`, (seen.get(`${o.iid}:${status}`) || 0) + 1);
    } else {
      diags.push({ message: `cannot route: ${found.error}` });
    }
    // a HEAD answers what its GET answers, without the body
    if (meta.head_of !== undefined && meta.head_of !== null && ex[meta.head_of]) {
      const g = ex[meta.head_of];
      if (g.status !== status) diags.push({ message: `HEAD status ${status}, GET ${g.status}` });
      for (const h of ['content-type', 'allow', 'retry-after', 'www-authenticate']) {
        if ((g.headers[h] || '') !== (headers[h] || '')) diags.push({ message: `HEAD ${h} '${headers[h] || ''}', GET '${g.headers[h] || ''}'` });
      }
      if (raw.length !== 0) diags.push({ message: `HEAD answer has a body of ${raw.length} bytes` });
    }
    if (diags.length) {
      violations += diags.length;
      for (const d of diags) failures.push(`${what}: violation: ${d.message}${d.path ? ' at ' + d.path.join('.') : ''}`);
    }
    if (opName) seen.set(`${opName}:${status}`, (seen.get(`${opName}:${status}`) || 0) + 1);
  }

  // a group of concurrent requests: at least one got the wanted answer
  for (const [g, v] of Object.entries(groups)) {
    if (v.hit) continue;
    const msg = `${g}: none of ${v.names.length} requests got ${v.want.status} matching /${v.want.match}/`;
    if (v.pending) pending.push(`${g} (${v.pending}): ${msg}`);
    else failures.push(msg);
  }

  // every documented status of every operation was produced, but the unprovokable
  const missing = [];
  const pendingMissing = [];
  for (const o of ops) {
    for (const r of o.responses) {
      const k = `${o.iid}:${r.code}`;
      if (seen.has(k) || UNPROVOKABLE.has(k) || UNPROVOKABLE.has(`*:${r.code}`)) continue;
      if (pendingPairs.has(k)) pendingMissing.push(`${o.method.toUpperCase()} ${o.path} ${r.code}`);
      else missing.push(`${o.method.toUpperCase()} ${o.path} (${o.iid}) ${r.code}`);
    }
  }
  for (const m of missing) failures.push(`not covered: ${m}: no exchange produced this documented status`);

  const total = files.length;
  for (const f of failures) console.log(`FAIL ${f}`);
  for (const p of pending) console.log(`pending ${p}`);
  if (pendingMissing.length) console.log(`pending statuses (not produced yet): ${pendingMissing.join('; ')}`);
  console.log(`exchanges: ${Object.entries(byVia).map(([k, v]) => `${v} ${k}`).join(', ')}; ` +
    `${seen.size} operation/status pairs covered; ${pending.length} pending`);
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({
    requests: total, statuses: seen.size, violations, failures: failures.length,
    pending: pending.length, pending_statuses: pendingMissing,
  }));
  process.exit(failures.length ? 1 : 0);
}

main().catch(e => { console.error(`check.js: ${e.stack || e}`); process.exit(2); });
