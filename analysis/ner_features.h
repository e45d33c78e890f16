/* ner_features.h: per-document token analysis shared by the NER model, its trainer and the
 * extractor's rules: folded forms, capitalisation with headlines put back in mixed case,
 * gazetteer and cue matches, runs of capitalised words, document-level evidence, and the
 * hashed feature vector of each token. No I/O. */
#ifndef ARTICLED_NER_FEATURES_H
#define ARTICLED_NER_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/gazetteer.h"
#include "analysis/tokenize.h"

/* Most features one token can have. */
#define NERFEAT_MAX 96

/* Capitalisation of a token as written, or as restored for headline tokens. */
enum nerfeat_case { NERFEAT_NONE = 0, NERFEAT_LOWER, NERFEAT_CAP, NERFEAT_UPPER };

/* Flags of struct nerfeat_token.flags. */
#define NERFEAT_FIRST       0x00001u /* first word of its sentence */
#define NERFEAT_AFTER_TITLE 0x00002u /* the previous words are a title ("President") */
#define NERFEAT_IN_TITLE    0x00004u /* part of a title phrase */
#define NERFEAT_CHROME      0x00008u /* part of a page-chrome phrase */
#define NERFEAT_PLACE_B     0x00010u /* first token of a gazetteer place/organisation match */
#define NERFEAT_PLACE_I     0x00020u /* later token of such a match */
#define NERFEAT_POSS_NEXT   0x00040u /* followed by "'s" */

/* Bits of struct nerfeat_token.run (about the run of capitalised words the token is in). */
#define NERFEAT_RUN_FIRSTNAME 0x001u /* the run starts with a first name */
#define NERFEAT_RUN_ORGCUE    0x002u /* the run ends with an organisation head word */
#define NERFEAT_RUN_ORGANY    0x004u /* some word of the run is an organisation head word */
#define NERFEAT_RUN_LOCCUE    0x008u /* some word of the run is a place head word */
#define NERFEAT_RUN_TITLE     0x010u /* a title precedes the run */
#define NERFEAT_RUN_PLACE     0x020u /* the run is exactly one gazetteer place */
#define NERFEAT_RUN_HASPLACE  0x040u /* the run contains a gazetteer place */
#define NERFEAT_RUN_SENTFIRST 0x080u /* the run starts its sentence */
#define NERFEAT_RUN_PARTICLE  0x100u /* the run contains a particle ("von", "bin") */

/* Bits of struct nerfeat_token.doc: what other occurrences of the same word in the text say. */
#define NERFEAT_DOC_LOWER   0x001u /* written in lower case elsewhere */
#define NERFEAT_DOC_CAPMID  0x002u /* capitalised elsewhere, not first in a sentence */
#define NERFEAT_DOC_UPPER   0x004u /* in capitals elsewhere, outside headlines */
#define NERFEAT_DOC_TITLE   0x008u /* after a title elsewhere */
#define NERFEAT_DOC_SURNAME 0x010u /* last word of a name starting with a first name elsewhere */
#define NERFEAT_DOC_ORGRUN  0x020u /* inside a name ending with an organisation word elsewhere */
#define NERFEAT_DOC_RUNHEAD 0x040u /* first word of a longer capitalised run elsewhere */
#define NERFEAT_DOC_SINGLE  0x080u /* a capitalised word standing alone elsewhere */
#define NERFEAT_DOC_PLACE   0x100u /* a gazetteer place match elsewhere */

struct nerfeat_token {
    uint32_t fold; /* offset of the folded form in the pool */
    uint16_t fold_len;
    uint32_t shape; /* offsets of the short and long shapes in the pool */
    uint8_t shape_len;
    uint32_t lshape;
    uint8_t lshape_len;
    uint8_t tcase;            /* enum nerfeat_case */
    uint8_t wcase;            /* enum gazetteer_case of the folded form */
    uint8_t freq;             /* gazetteer_word_freq */
    uint8_t run_pos, run_len; /* 0 none, 1 begin, 2 inside, 3 end, 4 single; run length */
    uint32_t gaz;             /* gazetteer_phrase bits of the token alone */
    uint32_t place;           /* gazetteer bits of the place match covering it (with PLACE_B/I) */
    uint32_t flags;           /* NERFEAT_* */
    uint32_t run;             /* NERFEAT_RUN_* */
    uint32_t doc;             /* NERFEAT_DOC_* */
    uint32_t word;            /* its word: tokens of one word have one index, 0 .. nwords-1 */
    uint32_t shape_id;        /* its shapes: one number per distinct shape in the document */
    uint32_t lshape_id;
};

struct nerfeat_doc {
    const struct gazetteer *gaz; /* borrowed */
    const char *text;            /* borrowed */
    const struct token *tok;     /* borrowed */
    size_t n;
    struct nerfeat_token *t; /* n entries */
    char *pool;
    size_t pool_len, pool_cap;
    void *words; /* per-word statistics (private) */
    size_t nwords;
    void *priv; /* tables and caches (private) */
};

/* Analyses tokens tok[0..n) of text with gazetteer g. The document borrows text, tok and g,
 * which must outlive it. Returns 0, or -1 on allocation failure; either way release with
 * nerfeat_doc_free. */
int nerfeat_doc_build(struct nerfeat_doc *d, const struct gazetteer *g, const char *text,
                      const struct token *tok, size_t n);

/* Frees what the document owns (NULL-safe) and zeroes it. */
void nerfeat_doc_free(struct nerfeat_doc *d);

/* Folded form of token i (borrowed, NUL-terminated), its length in *len. Inline: the rules
 * ask it of almost every token, several times. */
static inline const char *nerfeat_fold(const struct nerfeat_doc *d, size_t i, size_t *len)
{
    *len = d->t[i].fold_len;
    return d->pool + d->t[i].fold;
}

/* Writes the hashed features of token i into out (room for NERFEAT_MAX); returns the count. */
size_t nerfeat_extract(const struct nerfeat_doc *d, size_t i, uint64_t *out);

struct nermodel;

/* What the model's weights say of the features that do not depend on the text (integer
 * features, sentence and text boundaries), looked up once. Immutable after creation: shared
 * read-only by all threads. */
struct nerfeat_scorer;

/* Builds a scorer for model m, which it borrows (m must outlive it). Returns 0 and a new
 * scorer in *out (caller frees with nerfeat_scorer_free), or -1 on allocation failure. */
int nerfeat_scorer_new(const struct nermodel *m, struct nerfeat_scorer **out);

void nerfeat_scorer_free(struct nerfeat_scorer *sc);

/* Emission sums of tokens [a, b) of d: for token i, the sum of the stored weights (see
 * nermodel_row) of exactly the features nerfeat_extract gives it, into
 * sums[(i - a) * NER_NTAGS + tag], ready for nermodel_decode_sums. Features of one word or
 * shape are looked up once per document (cached in d, so d is not const: one thread per
 * document). Returns 0, or -1 on allocation failure. */
int nerfeat_doc_scores(struct nerfeat_doc *d, const struct nerfeat_scorer *sc, size_t a, size_t b,
                       int32_t *sums);

#endif
