/* chrome.c: page chrome found line by line (see chrome.h). Only short lines can be chrome,
 * so a long paragraph costs one scan for its line break. */
#include "analysis/chrome.h"

#include <string.h>

/* Longest line that can be a badge, a header, a share line or a rail's item. */
#define CHROME_LINE_MAX 100
/* Longest line that can be a script notice or a hashtag block. */
#define NOTICE_LINE_MAX 160
/* Longest rail header ("recommended stories"). */
#define RAIL_HEADER_MAX 24
/* Most lines under a rail's header taken as its items. */
#define RAIL_ITEMS_MAX 12

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Whether s[0..n) starts with the lower-case phrase p, followed by the end or a non-letter. */
static int starts(const char *s, size_t n, const char *p)
{
    size_t k = 0;
    for (; p[k]; k++)
        if (k >= n || lower(s[k]) != p[k])
            return 0;
    return k == n || !is_letter(s[k]);
}

/* Whether s[0..n) is the lower-case phrase p, give or take a final colon. */
static int is_phrase(const char *s, size_t n, const char *p)
{
    size_t pl = strlen(p);
    while (n > 0 && (s[n - 1] == ':' || s[n - 1] == ' '))
        n--;
    return n == pl && starts(s, n, p);
}

/* Whether s[0..n) contains the lower-case word p. */
static int contains(const char *s, size_t n, const char *p)
{
    size_t pl = strlen(p);
    for (size_t i = 0; i + pl <= n; i++)
        if (lower(s[i]) == p[0] && (i == 0 || !is_letter(s[i - 1])) && starts(s + i, n - i, p))
            return 1;
    return 0;
}

/* A header of a rail of links to other stories. */
static int rail_header(const char *s, size_t n)
{
    static const char *const h[] = {
        "you may also like", "you might also like", "you may like", "most read",
        "most popular",      "most viewed",         "most shared",  "related",
        "related stories",   "related articles",    "related content", "related topics",
        "related news",      "more on this story",  "more stories", "read more",
        "read next",         "top stories",         "recommended",  "recommended for you",
        "recommended stories", "trending",          "trending now", "also read",
        "see also",          "latest news",         "editor's picks", "editors' picks",
        "don't miss",        "more from",           NULL,
    };
    for (size_t k = 0; h[k]; k++)
        if (is_phrase(s, n, h[k]))
            return 1;
    return starts(s, n, "more from");
}

/* What one pass over a line finds (so that a paragraph costs one pass, whatever it holds). */
#define SEEN_HASH 1u  /* a "#" */
#define SEEN_READ 2u  /* "min read", "mins read", "minute read", "minutes read" */
#define SEEN_NEWS 4u  /* "newsletter" */
#define SEEN_JS   8u  /* "javascript" */

static unsigned scan_line(const char *s, size_t n)
{
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '#':
            seen |= SEEN_HASH;
            break;
        case 'r':
        case 'R':
            if ((i == 0 || s[i - 1] == ' ') && starts(s + i, n - i, "read")) {
                size_t e = i;
                while (e > 0 && s[e - 1] == ' ')
                    e--;
                if ((e >= 3 && lower(s[e - 1]) == 'n' && starts(s + e - 3, n - e + 3, "min")) ||
                    (e >= 4 && lower(s[e - 1]) == 's' && (starts(s + e - 4, n - e + 4, "mins") ||
                                                           (e >= 7 && starts(s + e - 7, n - e + 7,
                                                                             "minutes")))) ||
                    (e >= 6 && lower(s[e - 1]) == 'e' && starts(s + e - 6, n - e + 6, "minute")))
                    seen |= SEEN_READ;
            }
            break;
        case 'n':
        case 'N':
            if ((i == 0 || !is_letter(s[i - 1])) && starts(s + i, n - i, "newsletter"))
                seen |= SEEN_NEWS;
            break;
        case 'j':
        case 'J':
            if ((i == 0 || !is_letter(s[i - 1])) && starts(s + i, n - i, "javascript"))
                seen |= SEEN_JS;
            break;
        default:
            break;
        }
    }
    return seen;
}

/* A reading-time badge ("3 min read", "Min Read", "5 minute read"). */
static int reading_time(const char *s, size_t n, unsigned seen)
{
    (void)s;
    return n <= 60 && (seen & SEEN_READ);
}

/* Share, follow, newsletter and sign-up lines ("Share this article", "Sign up to our daily
 * newsletter"); not a sentence ("Shares of Apple rose." is none: "Shares" is another word). */
static int share_line(const char *s, size_t n, unsigned seen)
{
    static const char *const p[] = {"share",  "share this", "share on", "follow us",
                                    "sign up", "subscribe",  "click here", "copy link",
                                    "email",  NULL};
    char last = s[n - 1];
    if (last == '.' || last == '?' || last == '"')
        return 0;
    if (seen & SEEN_NEWS)
        return 1;
    if (n > 60)
        return 0;
    for (size_t k = 0; p[k]; k++)
        if (starts(s, n, p[k]))
            return 1;
    return 0;
}

/* A notice that the page needs JavaScript. */
static int script_notice(const char *s, size_t n, unsigned seen)
{
    return (seen & SEEN_JS) &&
           (contains(s, n, "disabled") || contains(s, n, "enable") ||
            contains(s, n, "required") || contains(s, n, "not supported") ||
            contains(s, n, "turned off"));
}

/* A line of hashtags ("#protest #paris"), or its header ("Hashtags"). */
static int hashtags(const char *s, size_t n, unsigned seen)
{
    size_t words = 0, tags = 0;
    if (n <= 10 && (is_phrase(s, n, "hashtags") || is_phrase(s, n, "tags")))
        return 1;
    if (!(seen & SEEN_HASH))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ' || s[i] == '\t')
            continue;
        words++;
        tags += s[i] == '#' && i + 1 < n && s[i + 1] != ' ';
        while (i < n && s[i] != ' ' && s[i] != '\t')
            i++;
    }
    return tags > 0 && tags * 2 >= words;
}

/* An item of a rail: a short headline, not a sentence of the story. */
static int rail_item(const char *s, size_t n)
{
    char last = s[n - 1];
    return n <= CHROME_LINE_MAX && last != '.' && last != '!' && last != '?' && last != ':' &&
           last != ',';
}

size_t chrome_spans(const char *text, size_t len, struct chrome_span *out, size_t cap)
{
    size_t found = 0, items = 0;
    int rail = 0; /* under a rail's header */
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) : len, next = nl ? end + 1 : len;
        size_t a = at, b = end;
        while (a < b && (text[a] == ' ' || text[a] == '\t'))
            a++;
        while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r'))
            b--;
        at = next;
        if (a == b)
            continue; /* a blank line: rails may space their items */
        const char *s = text + a;
        size_t n = b - a;
        int chrome = 0;
        if (n <= NOTICE_LINE_MAX) {
            if (rail && items < RAIL_ITEMS_MAX && rail_item(s, n)) {
                chrome = 1;
                items++;
            } else {
                rail = 0;
                char last = s[n - 1];
                if (last == '.' || last == '!' || last == '?' || last == '"') {
                    /* a sentence: only a script notice can be chrome (one quick search) */
                    chrome = (memmem(s, n, "avaScript", 9) || memmem(s, n, "avascript", 9)) &&
                             script_notice(s, n, SEEN_JS);
                    if (chrome)
                        goto found;
                    continue;
                }
                unsigned seen = scan_line(s, n);
                if (n <= RAIL_HEADER_MAX && rail_header(s, n)) {
                    chrome = rail = 1;
                    items = 0;
                } else {
                    chrome = (n <= CHROME_LINE_MAX &&
                              (reading_time(s, n, seen) || share_line(s, n, seen))) ||
                             hashtags(s, n, seen) || script_notice(s, n, seen);
                }
            }
        } else {
            rail = 0;
        }
        if (!chrome)
            continue;
    found:
        if (found < cap) {
            out[found].start = a;
            out[found].end = b;
        }
        found++;
    }
    return found;
}
