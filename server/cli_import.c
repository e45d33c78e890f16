/* cli_import.c: `articled import FILE|-`: NDJSON into a running service
 * through POST /v1/articles/_bulk, a batch at a time, on one kept-alive
 * connection (libcurl).
 *
 * What is acknowledged is what the service answered an item for: _bulk
 * streams its items as their transactions commit, so an answer cut short
 * still acknowledges the lines it covers, and the rest is sent again (ids
 * make re-sent lines idempotent; a line without an id gets a new one each
 * time it is sent, so only lines without an item are re-sent). After each
 * batch the position (file line and byte offset after the last acknowledged
 * line) goes to a state file, written whole and renamed; --resume starts
 * after it. The state file is removed when the import ends complete. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/cli.h"

#define IMPORT_FIRST_ERRORS 10  /* failed lines listed in the summary */
#define IMPORT_BATCH_MAX    10000 /* the service's default --max-bulk-lines */
#define IMPORT_RETRY_WAIT_MAX 30 /* seconds between tries, whatever Retry-After says */

enum import_progress { PROGRESS_AUTO, PROGRESS_BAR, PROGRESS_JSON, PROGRESS_OFF };

struct import_line {
    size_t off, len; /* in the batch buffer, without the newline */
    long lineno;     /* in the input, from 1 */
    uint64_t end;    /* input offset after the line's newline */
};

struct import {
    /* options */
    const char *url, *key, *file, *state_path;
    unsigned batch;
    size_t batch_bytes;
    long max_errors;
    int resume;
    enum import_progress progress;
    long timeout_s;
    unsigned retries;
    /* the input */
    FILE *in;
    int eof;
    long next_lineno;
    uint64_t read_off, total_bytes;
    char *linebuf;
    size_t linecap;
    /* the batch: lines read, not yet acknowledged */
    char *buf;
    size_t len, cap;
    struct import_line *lines;
    size_t nlines, lines_cap;
    /* acknowledged so far */
    long acked_line, resumed_from;
    uint64_t acked_off, start_off;
    long start_done;
    long written, failed;
    json_t *first_errors;
    /* HTTP */
    CURL *curl;
    struct curl_slist *headers;
    char *endpoint;
    char *ans;
    size_t ans_len, ans_cap;
    long retry_after;
    /* progress */
    double t0, drawn_at;
};

static double import_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void import_usage(FILE *f)
{
    fputs("usage: articled import [options] FILE|-\n"
          "  Streams NDJSON articles (one JSON object a line) into a running articled.\n"
          "  --url URL          the service (default $ARTICLED_URL or http://127.0.0.1:8080)\n"
          "  --key KEY          an API key with the write role (default $ARTICLED_API_KEY)\n"
          "  --batch N          lines per _bulk request (default 1000, at most 10000)\n"
          "  --batch-bytes N    bytes per request, K/M suffixes (default 8M)\n"
          "  --max-errors N     failed lines tolerated before stopping (default 0)\n"
          "  --resume           start after the last line the service acknowledged\n"
          "  --state PATH       where the position is kept (default FILE.import-state)\n"
          "  --progress MODE    auto (a bar on a terminal, JSON lines otherwise), bar, json, off\n"
          "  --timeout S        seconds a request may take (default 600)\n"
          "  --retries N        tries of a batch the service could not take (default 10)\n"
          "Exit status: 0 done; 1 more failed lines than --max-errors; 2 bad arguments;\n"
          "3 the service or the file could not be used (the position is kept: --resume).\n",
          f);
}

/* A size with an optional K or M suffix; 0 on success. */
static int import_parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || s[0] == '-')
        return -1;
    if (*end == 'K' || *end == 'k')
        v <<= 10, end++;
    else if (*end == 'M' || *end == 'm')
        v <<= 20, end++;
    if (*end != '\0' || v == 0 || v > (1ULL << 32))
        return -1;
    *out = (size_t)v;
    return 0;
}

static int import_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Reads the options into im. 0, or CLI_USAGE (said on stderr). */
static int import_args(struct import *im, int argc, char **argv)
{
    long v;
    im->url = getenv("ARTICLED_URL") ? getenv("ARTICLED_URL") : "http://127.0.0.1:8080";
    im->key = getenv("ARTICLED_API_KEY");
    im->batch = 1000;
    im->batch_bytes = 8u << 20;
    im->timeout_s = 600;
    im->retries = 10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            import_usage(stdout);
            return -1;
        } else if (strcmp(a, "--resume") == 0) {
            im->resume = 1;
            takes = 0;
        } else if (a[0] == '-' && a[1] == '-' && val == NULL) {
            fprintf(stderr, "articled import: %s needs a value\n", a);
            return CLI_USAGE;
        } else if (strcmp(a, "--url") == 0) {
            im->url = val;
        } else if (strcmp(a, "--key") == 0) {
            im->key = val;
        } else if (strcmp(a, "--state") == 0) {
            im->state_path = val;
        } else if (strcmp(a, "--batch") == 0) {
            if (import_parse_long(val, 1, IMPORT_BATCH_MAX, &v) != 0)
                goto bad;
            im->batch = (unsigned)v;
        } else if (strcmp(a, "--batch-bytes") == 0) {
            if (import_parse_size(val, &im->batch_bytes) != 0)
                goto bad;
        } else if (strcmp(a, "--max-errors") == 0) {
            if (import_parse_long(val, 0, 1L << 40, &im->max_errors) != 0)
                goto bad;
        } else if (strcmp(a, "--timeout") == 0) {
            if (import_parse_long(val, 1, 86400, &im->timeout_s) != 0)
                goto bad;
        } else if (strcmp(a, "--retries") == 0) {
            if (import_parse_long(val, 0, 1000, &v) != 0)
                goto bad;
            im->retries = (unsigned)v;
        } else if (strcmp(a, "--progress") == 0) {
            if (strcmp(val, "auto") == 0)
                im->progress = PROGRESS_AUTO;
            else if (strcmp(val, "bar") == 0)
                im->progress = PROGRESS_BAR;
            else if (strcmp(val, "json") == 0)
                im->progress = PROGRESS_JSON;
            else if (strcmp(val, "off") == 0)
                im->progress = PROGRESS_OFF;
            else
                goto bad;
        } else if ((a[0] != '-' || strcmp(a, "-") == 0) && im->file == NULL) {
            im->file = a;
            takes = 0;
        } else {
            fprintf(stderr, "articled import: unknown argument '%s'\n", a);
            import_usage(stderr);
            return CLI_USAGE;
        }
        i += takes;
        continue;
bad:
        fprintf(stderr, "articled import: bad value for %s: '%s'\n", a, val);
        return CLI_USAGE;
    }
    if (im->file == NULL) {
        import_usage(stderr);
        return CLI_USAGE;
    }
    if (im->resume && im->state_path == NULL && strcmp(im->file, "-") == 0) {
        fputs("articled import: --resume from standard input needs --state PATH\n", stderr);
        return CLI_USAGE;
    }
    if (im->progress == PROGRESS_AUTO)
        im->progress = isatty(STDERR_FILENO) ? PROGRESS_BAR : PROGRESS_JSON;
    return 0;
}

/* ---- the state file --------------------------------------------------------- */

/* Writes the position after the last acknowledged line (whole, renamed
 * into place). A state that cannot be written is said once, not fatal. */
static void import_state_save(struct import *im)
{
    static int warned;
    char tmp[4096];
    json_t *st;
    int ok;

    if (im->state_path == NULL)
        return;
    if (snprintf(tmp, sizeof tmp, "%s.tmp", im->state_path) >= (int)sizeof tmp)
        return;
    st = json_pack("{s:s,s:I,s:I,s:I,s:I}", "file", im->file, "line", (json_int_t)im->acked_line,
                   "offset", (json_int_t)im->acked_off, "written", (json_int_t)im->written,
                   "failed", (json_int_t)im->failed);
    ok = st != NULL && json_dump_file(st, tmp, JSON_COMPACT) == 0 && rename(tmp, im->state_path) == 0;
    json_decref(st);
    if (!ok && !warned) {
        warned = 1;
        fprintf(stderr, "articled import: cannot write %s (%s): --resume will not know this run\n",
                im->state_path, strerror(errno));
    }
}

/* Reads the state file and skips the input to its position. 0, or
 * CLI_TROUBLE (said). */
static int import_state_resume(struct import *im)
{
    json_error_t jerr;
    json_t *st = json_load_file(im->state_path, 0, &jerr);
    json_int_t line = 0, off = 0, written = 0, failed = 0;
    int rc = CLI_TROUBLE;

    if (st == NULL) {
        if (errno == ENOENT || access(im->state_path, F_OK) != 0) {
            fprintf(stderr, "articled import: no %s: starting at the first line\n",
                    im->state_path);
            return 0;
        }
        fprintf(stderr, "articled import: %s is not a state file: %s\n", im->state_path,
                jerr.text);
        return CLI_TROUBLE;
    }
    if (json_unpack(st, "{s:I,s:I,s:I,s:I}", "line", &line, "offset", &off, "written", &written,
                    "failed", &failed) != 0 ||
        line < 0 || off < 0) {
        fprintf(stderr, "articled import: %s is not a state file\n", im->state_path);
        goto out;
    }
    /* skip by reading (standard input cannot seek), checking that the
     * position still ends a line */
    while (im->next_lineno <= line) {
        ssize_t n = getline(&im->linebuf, &im->linecap, im->in);
        if (n < 0)
            break;
        im->read_off += (uint64_t)n;
        im->next_lineno++;
    }
    if (im->next_lineno <= line || im->read_off != (uint64_t)off) {
        fprintf(stderr,
                "articled import: %s says line %lld ends at byte %lld, but the input does not "
                "match: a different or rewritten file? (remove the state file to start over)\n",
                im->state_path, (long long)line, (long long)off);
        goto out;
    }
    im->acked_line = im->resumed_from = (long)line;
    im->acked_off = (uint64_t)off;
    im->written = (long)written;
    im->failed = (long)failed;
    rc = 0;
out:
    json_decref(st);
    return rc;
}

/* ---- progress ----------------------------------------------------------------- */

static void import_progress(struct import *im, int last)
{
    double now = import_now(), secs = now - im->t0, rate;
    long done = im->written + im->failed;
    double share = im->total_bytes ? (double)im->acked_off / (double)im->total_bytes : -1;
    double eta = -1;

    if (im->progress == PROGRESS_OFF || (!last && now - im->drawn_at < 0.2))
        return;
    if (im->progress == PROGRESS_JSON && !last && now - im->drawn_at < 1.0)
        return;
    im->drawn_at = now;
    rate = secs > 0 ? (double)(done - im->start_done) / secs : 0;
    /* ETA: the bytes left at this run's byte rate */
    if (share >= 0 && secs > 0.5 && im->acked_off > im->start_off) {
        double bps = (double)(im->acked_off - im->start_off) / secs;
        eta = ((double)im->total_bytes - (double)im->acked_off) / bps;
    }
    if (im->progress == PROGRESS_JSON) {
        fprintf(stderr,
                "{\"event\":\"progress\",\"line\":%ld,\"written\":%ld,\"failed\":%ld,"
                "\"bytes\":%llu,\"total_bytes\":%llu,\"articles_per_s\":%.1f,\"eta_s\":%.0f}\n",
                im->acked_line, im->written, im->failed, (unsigned long long)im->acked_off,
                (unsigned long long)im->total_bytes, rate, eta);
    } else {
        char bar[31];
        int fill = share >= 0 ? (int)(share * 30 + 0.5) : 0;
        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        if (share >= 0)
            fprintf(stderr, "\r%3.0f%% [%s] ", share * 100, bar);
        else
            fputs("\r", stderr);
        fprintf(stderr, "%ld articles, %.0f/s, %ld failed", done, rate, im->failed);
        if (eta >= 0)
            fprintf(stderr, ", ETA %ldm%02lds ", (long)eta / 60, (long)eta % 60);
        fputs("\033[K", stderr);
        if (last)
            fputc('\n', stderr);
    }
    fflush(stderr);
}

/* ---- the batch ---------------------------------------------------------------- */

static int import_grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (q == NULL)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* Counts the batch's lines holding an article (not blank). */
static size_t import_articles(const struct import *im)
{
    size_t n = 0;
    for (size_t i = 0; i < im->nlines; i++) {
        const char *l = im->buf + im->lines[i].off;
        size_t k = im->lines[i].len;
        while (k > 0 && (l[k - 1] == ' ' || l[k - 1] == '\t' || l[k - 1] == '\r'))
            k--;
        n += k > 0;
    }
    return n;
}

/* Reads lines until the batch holds im->batch articles or batch_bytes.
 * 0, or -1 out of memory. */
static int import_fill(struct import *im)
{
    while (!im->eof && import_articles(im) < im->batch && (im->nlines == 0 || im->len < im->batch_bytes)) {
        ssize_t n = getline(&im->linebuf, &im->linecap, im->in);
        size_t k;
        if (n < 0) {
            im->eof = 1;
            break;
        }
        im->read_off += (uint64_t)n;
        k = (size_t)n;
        if (k > 0 && im->linebuf[k - 1] == '\n')
            k--;
        if (import_grow((void **)&im->buf, &im->cap, im->len + k + 1, 1) != 0 ||
            import_grow((void **)&im->lines, &im->lines_cap, im->nlines + 1, sizeof *im->lines) != 0)
            return -1;
        im->lines[im->nlines++] = (struct import_line){
            .off = im->len, .len = k, .lineno = im->next_lineno++, .end = im->read_off};
        memcpy(im->buf + im->len, im->linebuf, k);
        im->len += k;
        im->buf[im->len++] = '\n';
    }
    return 0;
}

/* Drops the batch's first n lines (acknowledged). */
static void import_drop(struct import *im, size_t n)
{
    size_t bytes;
    if (n == 0)
        return;
    im->acked_line = im->lines[n - 1].lineno;
    im->acked_off = im->lines[n - 1].end;
    bytes = n < im->nlines ? im->lines[n].off : im->len;
    memmove(im->buf, im->buf + bytes, im->len - bytes);
    im->len -= bytes;
    memmove(im->lines, im->lines + n, (im->nlines - n) * sizeof *im->lines);
    im->nlines -= n;
    for (size_t i = 0; i < im->nlines; i++)
        im->lines[i].off -= bytes;
}

/* ---- HTTP ----------------------------------------------------------------------- */

static size_t import_on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct import *im = arg;
    size_t n = size * nmemb;
    if (import_grow((void **)&im->ans, &im->ans_cap, im->ans_len + n + 1, 1) != 0)
        return 0;
    memcpy(im->ans + im->ans_len, data, n);
    im->ans_len += n;
    im->ans[im->ans_len] = '\0';
    return n;
}

static size_t import_on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct import *im = arg;
    size_t n = size * nmemb;
    if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0)
        im->retry_after = strtol(data + 12, NULL, 10);
    return n;
}

static int import_http_open(struct import *im)
{
    size_t ul = strlen(im->url);
    char auth[1100];

    im->curl = curl_easy_init();
    im->endpoint = malloc(ul + 32);
    if (im->curl == NULL || im->endpoint == NULL)
        return -1;
    while (ul > 0 && im->url[ul - 1] == '/')
        ul--;
    snprintf(im->endpoint, ul + 32, "%.*s/v1/articles/_bulk", (int)ul, im->url);
    im->headers = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
    im->headers = curl_slist_append(im->headers, "Expect:");
    if (im->key != NULL && im->key[0] != '\0') {
        if (strlen(im->key) > 1024)
            return -1;
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", im->key);
        im->headers = curl_slist_append(im->headers, auth);
    }
    curl_easy_setopt(im->curl, CURLOPT_URL, im->endpoint);
    curl_easy_setopt(im->curl, CURLOPT_HTTPHEADER, im->headers);
    curl_easy_setopt(im->curl, CURLOPT_WRITEFUNCTION, import_on_body);
    curl_easy_setopt(im->curl, CURLOPT_WRITEDATA, im);
    curl_easy_setopt(im->curl, CURLOPT_HEADERFUNCTION, import_on_header);
    curl_easy_setopt(im->curl, CURLOPT_HEADERDATA, im);
    curl_easy_setopt(im->curl, CURLOPT_TIMEOUT, im->timeout_s);
    curl_easy_setopt(im->curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(im->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(im->curl, CURLOPT_USERAGENT, "articled-import");
    return 0;
}

/* Notes a failed line for the summary (the first IMPORT_FIRST_ERRORS). */
static void import_note_failure(struct import *im, long lineno, json_t *item)
{
    const char *detail = json_string_value(json_object_get(item, "error"));
    json_t *e;
    im->failed++;
    if (json_array_size(im->first_errors) >= IMPORT_FIRST_ERRORS)
        return;
    e = json_pack("{s:I,s:O,s:s}", "line", (json_int_t)lineno, "status",
                  json_object_get(item, "status"), "error", detail ? detail : "(not said)");
    if (json_is_string(json_object_get(item, "id")))
        json_object_set(e, "id", json_object_get(item, "id"));
    if (json_is_string(json_object_get(item, "field")))
        json_object_set(e, "field", json_object_get(item, "field"));
    json_array_append_new(im->first_errors, e);
}

/* Reads the items of a 200 answer to the batch's first k lines, complete or
 * cut short: counts them and drops the lines they acknowledge. Returns 1
 * when the answer was complete. */
static int import_take_answer(struct import *im, size_t k)
{
    const char *p = strstr(im->ans ? im->ans : "", "{\"items\":[");
    size_t pos, last = 0;
    int complete = 0;

    if (p == NULL)
        return 0;
    pos = (size_t)(p - im->ans) + 10;
    for (;;) {
        json_error_t jerr;
        json_t *item;
        json_int_t line;
        while (pos < im->ans_len && (im->ans[pos] == ',' || im->ans[pos] == ' ' || im->ans[pos] == '\n'))
            pos++;
        if (pos < im->ans_len && im->ans[pos] == ']') {
            /* the totals follow the last item: the answer is whole when they do */
            complete = strstr(im->ans + pos, "\"failed\":") != NULL &&
                       im->ans[im->ans_len - 1] == '}';
            break;
        }
        item = json_loadb(im->ans + pos, im->ans_len - pos, JSON_DISABLE_EOF_CHECK, &jerr);
        if (item == NULL)
            break; /* cut inside an item */
        pos += (size_t)jerr.position;
        line = json_integer_value(json_object_get(item, "line"));
        if (json_integer_value(json_object_get(item, "status")) >= 500) {
            /* the service could not take it now (busy, disk full): not a bad
             * line; it and what follows are sent again */
            json_decref(item);
            break;
        }
        if (line >= 1 && (size_t)line <= k && (size_t)line > last) {
            if (json_is_null(json_object_get(item, "error")))
                im->written++;
            else
                import_note_failure(im, im->lines[line - 1].lineno, item);
            last = (size_t)line;
        }
        json_decref(item);
    }
    import_drop(im, complete ? k : last);
    return complete;
}

/* How many of the batch's first lines one request sends: up to im->batch
 * articles and im->batch_bytes (at least one line). */
static size_t import_prefix(const struct import *im)
{
    size_t k = 0, articles = 0;
    while (k < im->nlines && articles < im->batch &&
           (k == 0 || im->lines[k].off + im->lines[k].len < im->batch_bytes)) {
        articles += im->lines[k].len > 0;
        k++;
    }
    return k;
}

/* Sends the batch's first lines until the service took them (or the part
 * of them it acknowledged). 0 on progress, CLI_TROUBLE when it gave up
 * (said). */
static int import_send(struct import *im)
{
    unsigned tries = 0;
    for (;;) {
        CURLcode cc;
        long status = 0;
        size_t k = import_prefix(im), bytes = k < im->nlines ? im->lines[k].off : im->len;
        long wait;

        im->ans_len = 0;
        im->retry_after = 0;
        curl_easy_setopt(im->curl, CURLOPT_POSTFIELDS, im->buf);
        curl_easy_setopt(im->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bytes);
        cc = curl_easy_perform(im->curl);
        curl_easy_getinfo(im->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status == 200) {
            size_t before = im->nlines;
            int complete = import_take_answer(im, k);
            if (complete || im->nlines < before)
                return 0; /* all, or the part the cut answer covers */
        } else if (status == 413 && k > 1) {
            /* the service takes smaller requests than asked: half as many lines */
            im->batch = (unsigned)(k / 2);
            im->batch_bytes = bytes / 2 > 0 ? bytes / 2 : 1;
            fprintf(stderr, "\narticled import: the service refused %zu lines as too large: "
                            "sending %u at a time\n", k, im->batch);
            continue;
        } else if (status >= 400 && status < 500 && status != 408 && status != 429) {
            json_t *p = json_loadb(im->ans ? im->ans : "", im->ans_len, 0, NULL);
            const char *detail = json_string_value(json_object_get(p, "detail"));
            fprintf(stderr, "\narticled import: %s answered %ld: %s\n", im->endpoint, status,
                    detail ? detail : "(no detail)");
            json_decref(p);
            return CLI_TROUBLE;
        }
        if (++tries > im->retries) {
            fprintf(stderr, "\narticled import: %s: %s (gave up after %u tries)\n", im->endpoint,
                    cc != CURLE_OK ? curl_easy_strerror(cc) : "no complete answer", tries);
            return CLI_TROUBLE;
        }
        /* busy, restarting or unreachable: wait as asked, else back off */
        wait = im->retry_after > 0 ? im->retry_after : (1L << (tries < 5 ? tries : 5));
        if (wait > IMPORT_RETRY_WAIT_MAX)
            wait = IMPORT_RETRY_WAIT_MAX;
        if (im->progress != PROGRESS_OFF)
            fprintf(stderr, "\narticled import: %s (%s%ld): trying again in %ld s\n",
                    im->endpoint, cc != CURLE_OK ? curl_easy_strerror(cc) : "status ",
                    cc != CURLE_OK ? 0L : status, wait);
        sleep((unsigned)wait);
    }
}

/* ---- the command ------------------------------------------------------------------ */

static void import_summary(struct import *im, int complete)
{
    double secs = import_now() - im->t0;
    json_t *s = json_pack("{s:b,s:I,s:I,s:I,s:I,s:f,s:O}", "complete", complete, "lines",
                          (json_int_t)im->acked_line, "written", (json_int_t)im->written,
                          "failed", (json_int_t)im->failed, "resumed_from",
                          (json_int_t)im->resumed_from, "seconds", secs, "first_errors",
                          im->first_errors);
    if (isatty(STDOUT_FILENO)) {
        printf("%s: %ld written, %ld failed, %ld lines in %.1f s%s\n",
               complete ? "done" : "stopped", im->written, im->failed, im->acked_line, secs,
               im->resumed_from ? " (resumed)" : "");
        for (size_t i = 0; i < json_array_size(im->first_errors); i++) {
            json_t *e = json_array_get(im->first_errors, i);
            printf("  line %lld: %lld %s\n", (long long)json_integer_value(json_object_get(e, "line")),
                   (long long)json_integer_value(json_object_get(e, "status")),
                   json_string_value(json_object_get(e, "error")));
        }
        if (!complete && im->state_path != NULL)
            printf("the position is kept in %s: add --resume to go on\n", im->state_path);
    } else {
        char *text = json_dumps(s, JSON_COMPACT);
        if (text != NULL)
            puts(text);
        free(text);
    }
    fflush(stdout);
    json_decref(s);
}

int cli_import(int argc, char **argv)
{
    struct import im = {0};
    char *state_default = NULL;
    int rc = import_args(&im, argc, argv), complete = 0;
    struct stat sb;

    if (rc != 0)
        return rc < 0 ? CLI_OK : rc;
    im.next_lineno = 1;
    im.first_errors = json_array();
    if (strcmp(im.file, "-") == 0) {
        im.in = stdin;
    } else if ((im.in = fopen(im.file, "r")) == NULL) {
        fprintf(stderr, "articled import: cannot open %s: %s\n", im.file, strerror(errno));
        rc = CLI_TROUBLE;
        goto out;
    }
    if (fstat(fileno(im.in), &sb) == 0 && S_ISREG(sb.st_mode))
        im.total_bytes = (uint64_t)sb.st_size;
    if (im.state_path == NULL && im.in != stdin) {
        if (asprintf(&state_default, "%s.import-state", im.file) < 0)
            state_default = NULL;
        im.state_path = state_default;
    }
    if (im.resume && (rc = import_state_resume(&im)) != 0)
        goto out;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || import_http_open(&im) != 0) {
        fputs("articled import: cannot set up HTTP (out of memory?)\n", stderr);
        rc = CLI_TROUBLE;
        goto out;
    }
    im.t0 = import_now();
    im.start_done = im.written + im.failed;
    im.start_off = im.acked_off;
    for (;;) {
        if (import_fill(&im) != 0) {
            fputs("articled import: out of memory\n", stderr);
            rc = CLI_TROUBLE;
            break;
        }
        if (im.nlines == 0)
            break;
        if (import_articles(&im) == 0) {
            import_drop(&im, im.nlines); /* blank lines only: nothing to send */
            continue;
        }
        if ((rc = import_send(&im)) != 0)
            break;
        import_state_save(&im);
        import_progress(&im, 0);
        if (im.failed > im.max_errors)
            break;
    }
    complete = rc == 0 && im.eof && im.nlines == 0 && im.failed <= im.max_errors;
    import_progress(&im, 1);
    if (rc == 0 && im.failed > im.max_errors) {
        fprintf(stderr, "articled import: %ld line(s) failed, more than --max-errors %ld: stopped\n",
                im.failed, im.max_errors);
        rc = CLI_FAILED;
    }
    if (complete && im.state_path != NULL)
        unlink(im.state_path);
    import_summary(&im, complete);
out:
    if (im.in != NULL && im.in != stdin)
        fclose(im.in);
    curl_slist_free_all(im.headers);
    if (im.curl != NULL)
        curl_easy_cleanup(im.curl);
    curl_global_cleanup();
    free(im.endpoint);
    free(im.ans);
    free(im.buf);
    free(im.lines);
    free(im.linebuf);
    free(state_default);
    json_decref(im.first_errors);
    return rc;
}
