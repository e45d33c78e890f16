/* chrome.h: page chrome in an article's text, found line by line: reading-time badges
 * ("3 min read"), share, newsletter and "related" / "You may also like" / "Most read" rails
 * (the header line and the short headline lines under it), hashtag blocks and "JavaScript is
 * disabled" notices. The entity extractor keeps these lines out of its names; the text itself
 * is left as it is (near-copy detection tolerates chrome). Pure, no allocation. */
#ifndef ARTICLED_CHROME_H
#define ARTICLED_CHROME_H

#include <stddef.h>

struct chrome_span {
    size_t start, end; /* bytes of text, end exclusive: one line without its edges' blanks */
};

/* Finds the chrome lines of text[0..len), in order, one span per line. Writes at most cap
 * spans to out and returns how many were found (a count above cap means some were not
 * written). */
size_t chrome_spans(const char *text, size_t len, struct chrome_span *out, size_t cap);

#endif
