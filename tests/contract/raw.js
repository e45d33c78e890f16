#!/usr/bin/env node
// raw.js: requests that curl cannot shape, sent byte for byte on one TCP
// connection to 127.0.0.1 (framing errors, a HEAD with a body, a body that
// is announced but never sent, requests on a kept-alive connection while the
// server shuts down). Each answer is written as <out>.hdr (status line and
// header lines, as curl -D writes them) and <out>.body, for check.js.
//
//   node raw.js send PORT OUT TIMEOUT_MS REQUEST_FILE
//     sends the file's bytes, reads one answer; prints "closed" when the server
//     closed the connection after it (within 500 ms), else "open".
//   node raw.js shutdown PORT PID LOG TIMEOUT_MS REQ_FILE OUT [REQ_FILE OUT]...
//     opens one connection per request file, sends GET /healthz on each (kept
//     alive), sends SIGTERM to PID, waits for "shutting down" in LOG, then
//     sends each request on its own connection; writes OUT.hdr and OUT.body.
'use strict';
const net = require('net');
const fs = require('fs');

// Reads one HTTP/1.1 answer from sock; resolves {head, body, closed}.
// head is the status line and headers (CRLF-separated, interim 1xx answers
// kept in front, as curl -D does); head is '' when nothing came in time.
function readAnswer(sock, isHead, timeoutMs) {
  return new Promise(resolve => {
    let buf = Buffer.alloc(0);
    let done = false;
    let closed = false;
    let prefix = '';
    const finish = (head, body) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.removeListener('data', onData);
      // wait a little to see whether the server closes the connection
      const t = setTimeout(() => resolve({ head, body, closed }), closed ? 0 : 500);
      sock.once('close', () => { closed = true; clearTimeout(t); resolve({ head, body, closed }); });
    };
    const tryParse = () => {
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const status = parseInt(head.split(' ')[1], 10);
        if (status >= 100 && status < 200) { // interim answer: keep it, read on
          prefix += head + '\r\n\r\n';
          buf = buf.subarray(end + 4);
          continue;
        }
        const rest = buf.subarray(end + 4);
        const h = {};
        for (const line of head.split('\r\n').slice(1)) {
          const i = line.indexOf(':');
          if (i > 0) h[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        if (isHead || status === 204 || status === 304) return finish(prefix + head, Buffer.alloc(0));
        if (h['transfer-encoding'] && /chunked/i.test(h['transfer-encoding'])) {
          const body = dechunk(rest);
          if (body !== null) return finish(prefix + head, body);
          return;
        }
        if (h['content-length'] !== undefined) {
          const n = parseInt(h['content-length'], 10);
          if (rest.length >= n) return finish(prefix + head, rest.subarray(0, n));
          return;
        }
        if (closed) return finish(prefix + head, rest);
        return;
      }
    };
    const onData = d => { buf = Buffer.concat([buf, d]); tryParse(); };
    sock.on('data', onData);
    sock.on('error', () => {});
    sock.on('close', () => {
      closed = true;
      if (!done) { tryParse(); if (!done) finish(prefix, buf); }
    });
    const timer = setTimeout(() => finish(prefix, Buffer.alloc(0)), timeoutMs);
  });
}

// The body of a complete chunked message, or null while it is incomplete.
function dechunk(b) {
  const parts = [];
  let i = 0;
  for (;;) {
    const e = b.indexOf('\r\n', i);
    if (e < 0) return null;
    const n = parseInt(b.subarray(i, e).toString('latin1'), 16);
    if (Number.isNaN(n)) return null;
    if (n === 0) return Buffer.concat(parts);
    if (b.length < e + 2 + n + 2) return null;
    parts.push(b.subarray(e + 2, e + 2 + n));
    i = e + 2 + n + 2;
  }
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

function save(out, answer) {
  fs.writeFileSync(out + '.hdr', answer.head ? answer.head + '\r\n\r\n' : '');
  fs.writeFileSync(out + '.body', answer.body);
}

async function send(port, out, timeoutMs, file) {
  const req = fs.readFileSync(file);
  const isHead = req.subarray(0, 5).toString('latin1') === 'HEAD ';
  const sock = await connect(port);
  sock.write(req);
  const a = await readAnswer(sock, isHead, timeoutMs);
  save(out, a);
  sock.destroy();
  process.stdout.write(a.closed ? 'closed\n' : 'open\n');
}

async function shutdown(port, pid, log, timeoutMs, pairs) {
  const files = pairs.filter((_, i) => i % 2 === 0);
  const outs = pairs.filter((_, i) => i % 2 === 1);
  // every connection warmed up at once: one after the other, each answer's
  // quiet period (~0.5 s) added up past the server's 30 s idle timeout once
  // the list held 60 operations, and the first connections were closed
  const socks = await Promise.all(files.map(async () => {
    const s = await connect(port);
    s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const a = await readAnswer(s, false, timeoutMs);
    if (!/^HTTP\/1\.1 200/.test(a.head)) throw new Error('warm-up GET /healthz failed');
    return s;
  }));
  process.kill(pid, 'SIGTERM');
  const t0 = Date.now();
  while (!fs.readFileSync(log, 'latin1').includes('shutting down')) {
    if (Date.now() - t0 > timeoutMs) throw new Error('the server never logged "shutting down"');
    await new Promise(r => setTimeout(r, 20));
  }
  await Promise.all(files.map(async (file, i) => {
    const req = fs.readFileSync(file);
    const isHead = req.subarray(0, 5).toString('latin1') === 'HEAD ';
    socks[i].write(req);
    const a = await readAnswer(socks[i], isHead, timeoutMs);
    save(outs[i], a);
    socks[i].destroy();
  }));
}

const [mode, ...args] = process.argv.slice(2);
const run = mode === 'send'
  ? send(Number(args[0]), args[1], Number(args[2]), args[3])
  : mode === 'shutdown'
    ? shutdown(Number(args[0]), Number(args[1]), args[2], Number(args[3]), args.slice(4))
    : Promise.reject(new Error('usage: raw.js send|shutdown ...'));
run.then(() => process.exit(0), e => { process.stderr.write(`raw.js: ${e.message}\n`); process.exit(1); });
