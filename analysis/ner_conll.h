/* ner_conll.h: reads CoNLL-2003 style files (one "token POS chunk NER" a line, blank lines
 * between sentences, -DOCSTART- between documents) into documents whose text is the tokens
 * joined by single spaces, sentences by newlines, with each token's span and BIO tag. Used by
 * the training and evaluation tools; parses a buffer, no I/O. */
#ifndef ARTICLED_NER_CONLL_H
#define ARTICLED_NER_CONLL_H

#include <stddef.h>
#include <stdint.h>

struct nerconll_doc {
    char *text; /* NUL-terminated */
    size_t len;
    size_t ntokens;
    size_t *byte_start, *byte_end; /* of each token in text */
    size_t *cp_start, *cp_end;     /* the same in code points */
    uint8_t *tags;                 /* enum ner_tag (IOB1 or IOB2 input, IOB2 here) */
};

struct nerconll_corpus {
    struct nerconll_doc *docs;
    size_t ndocs;
};

/* Parses buf[0..len). Returns 0 with out filled (caller frees with nerconll_free), or -1 on
 * allocation failure. Unknown tags count as O. */
int nerconll_parse(const char *buf, size_t len, struct nerconll_corpus *out);

void nerconll_free(struct nerconll_corpus *c);

#endif
