/* entity.c: the entity extractor: tokens -> features -> Viterbi tags from the shipped model,
 * then rules (titles, acronyms in parentheses, chrome, calendar words), coreference within
 * the article (repeated names, lone surnames, acronyms), canonical names and merge keys. */
#include "analysis/entity.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>

#include "analysis/chrome.h"
#include "analysis/gazetteer.h"
#include "analysis/nameform.h"
#include "analysis/ner_features.h"
#include "analysis/ner_model.h"
#include "analysis/tokenize.h"
#include "analysis/utf8.h"

extern const unsigned char articled_data_ner_model[];
extern const size_t articled_data_ner_model_len;

#define MAX_NAME_TOKENS 12

struct entity_extractor {
    const struct gazetteer *gaz; /* borrowed: process-wide */
    struct nermodel *model;
    struct nerfeat_scorer *scorer; /* over model */
};

/* A mention while the article is analysed: tokens [a, b). */
struct cand {
    size_t a, b;
    int type;   /* 0 PER, 1 ORG, 2 LOC */
    int weak;   /* a calendar or function word alone: kept only when coreference backs it */
    int org;    /* ORG_* evidence that a name tagged as a person's is an organisation's */
    int title;  /* the words around it call it a work's title or an award ("the film Vera
                 * Drake", "won an Oscar"): its set is no person */
    size_t set; /* union-find parent */
    char *keyform;
    /* of the key form, for comparisons: its first 8 bytes big-endian (zero-padded), its
     * length, its first word's length and where its last word starts */
    uint64_t prefix;
    size_t klen, first_len, last_off;
};

struct work {
    const struct entity_extractor *ex;
    const char *text;
    struct token_list toks;
    struct nerfeat_doc fd;
    uint8_t *tags;
    uint8_t *covered; /* token is inside a candidate */
    int wrapped;      /* the text is wrapped at a fixed width (set_wrapped) */
    struct cand *c;
    size_t nc, capc;
    char *keyforms; /* the candidates' key forms (set_keyforms) */
};

const char *entity_type_name(enum entity_type t)
{
    switch (t) {
    case ENTITY_PERSON:
        return "person";
    case ENTITY_ORGANIZATION:
        return "organization";
    case ENTITY_LOCATION:
        return "location";
    }
    return "unknown";
}

int entity_type_parse(const char *s, enum entity_type *out)
{
    for (int t = ENTITY_PERSON; t <= ENTITY_LOCATION; t++) {
        if (s != NULL && strcmp(s, entity_type_name((enum entity_type)t)) == 0) {
            *out = (enum entity_type)t;
            return 0;
        }
    }
    return -1;
}

int entity_extractor_new(struct entity_extractor **out, struct error *err)
{
    struct entity_extractor *ex = calloc(1, sizeof *ex);
    *out = NULL;
    if (ex == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    ex->gaz = gazetteer_shared(err);
    if (ex->gaz == NULL ||
        nermodel_load(articled_data_ner_model, articled_data_ner_model_len, &ex->model, err) != 0) {
        free(ex);
        return -1;
    }
    if (nerfeat_scorer_new(ex->model, &ex->scorer) != 0) {
        error_set(err, ERR_INTERNAL, "out of memory");
        entity_extractor_free(ex);
        return -1;
    }
    *out = ex;
    return 0;
}

void entity_extractor_free(struct entity_extractor *ex)
{
    if (ex == NULL)
        return;
    nerfeat_scorer_free(ex->scorer);
    nermodel_free(ex->model);
    free(ex);
}

/* ---- helpers over tokens ---- */

static const char *tok_fold(const struct work *w, size_t i, size_t *n)
{
    return nerfeat_fold(&w->fd, i, n);
}

static int tok_is(const struct work *w, size_t i, const char *s)
{
    size_t n;
    const char *f = tok_fold(w, i, &n);
    return n > 0 && f[0] == s[0] && n == strlen(s) && memcmp(f, s, n) == 0;
}

static int capword(const struct work *w, size_t i)
{
    int tc = w->fd.t[i].tcase;
    return (tc == NERFEAT_CAP || tc == NERFEAT_UPPER) && (w->toks.tokens[i].flags & TOKEN_ALPHA);
}

/* Titles after which a capitalised name is a person's (ambiguous ones such as "General"
 * or "Major" are left to the model). */
static int personal_title(const struct work *w, size_t i)
{
    static const char *const titles[] = {
        "mr",          "mr.",         "mrs",           "mrs.",
        "ms",          "ms.",         "miss",          "dr",
        "dr.",         "sir",         "dame",          "prof.",
        "professor",   "president",   "minister",      "secretary",
        "senator",     "sen.",        "rep.",          "governor",
        "gov.",        "mayor",       "chancellor",    "premier",
        "ambassador",  "judge",       "pope",          "sheikh",
        "ayatollah",   "congressman", "congresswoman", "spokesman",
        "spokeswoman", "lady",        "lord",          "baroness",
        "queen",       "king",        "prince",        "princess",
        "envoy",       "chairman",    "chairwoman",    "coach",
        NULL,
    };
    for (size_t k = 0; titles[k]; k++)
        if (tok_is(w, i, titles[k]))
            return 1;
    return 0;
}

static int honorific(const struct work *w, size_t i)
{
    static const char *const h[] = {"mr",   "mr.",   "mrs", "mrs.", "ms",   "ms.",
                                    "miss", "dr",    "dr.", "sir",  "dame", "lady",
                                    "lord", "prof.", "mme", "mme.", NULL};
    for (size_t k = 0; h[k]; k++)
        if (tok_is(w, i, h[k]))
            return 1;
    return 0;
}

static int add_cand(struct work *w, size_t a, size_t b, int type)
{
    if (w->nc == w->capc) {
        size_t cap = w->capc ? w->capc * 2 : 64;
        struct cand *p = realloc(w->c, cap * sizeof *p);
        if (p == NULL)
            return -1;
        w->c = p;
        w->capc = cap;
    }
    memset(&w->c[w->nc], 0, sizeof w->c[w->nc]);
    w->c[w->nc].a = a;
    w->c[w->nc].b = b;
    w->c[w->nc].type = type;
    w->c[w->nc].set = w->nc;
    w->nc++;
    for (size_t k = a; k < b; k++)
        w->covered[k] = 1;
    return 0;
}

static int cmp_cand(const void *x, const void *y)
{
    const struct cand *a = x, *b = y;
    return a->a < b->a ? -1 : a->a > b->a ? 1 : 0;
}

/* ---- 1. the model ---- */

/* Longest stretch decoded at once: a text without sentence ends is cut into pieces. */
#define MAX_DECODE 256

static int run_model(struct work *w)
{
    size_t n = w->toks.n;
    int32_t sums[MAX_DECODE * NER_NTAGS];

    /* one Viterbi pass per sentence, as in training */
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && b - a < MAX_DECODE && !(w->toks.tokens[b].flags & TOKEN_SENT_START))
            b++;
        if (nerfeat_doc_scores(&w->fd, w->ex->scorer, a, b, sums) != 0 ||
            nermodel_decode_sums(w->ex->model, sums, b - a, w->tags + a) != 0)
            return -1;
        a = b;
    }
    return 0;
}

/* ---- 2. spans from tags, cleaned ---- */

/* Whether the line of token i starts with white space (a paragraph or a table row). */
static int indented(const struct work *w, size_t i)
{
    size_t at = w->toks.tokens[i].byte_start;
    return at > 0 && (w->text[at - 1] == ' ' || w->text[at - 1] == '\t');
}

/* Which line breaks a name may not cross. A text wrapped at a fixed width (newswire:
 * "Securities and Exchange<LF>Commission") breaks lines inside names, so there only blank
 * lines count; elsewhere a line is a unit of its own (caption, credit, list item, page chrome:
 * "Photo: AFP<LF>Hashtags"). A text is wrapped when it has at least two line breaks and most
 * of them (of the first 64) come where the next word would not have fitted on the line (within
 * 10 of the longest line, itself at most 100 code points). An indented line always starts
 * anew. */
static void set_wrapped(struct work *w)
{
    const struct token *t = w->toks.tokens;
    size_t n = w->toks.n, width = 0, nb = 0, fits = 0, a = 0;
    size_t need[64]; /* per line break: the line's length with the next word */

    w->wrapped = 0;
    for (size_t e = 1; e < n; e++) {
        if (!(t[e].flags & TOKEN_LINE_START))
            continue;
        size_t len = t[e - 1].cp_end - t[a].cp_start;
        a = e;
        if ((t[e].flags & TOKEN_PARA_START) || indented(w, e))
            continue;
        width = len > width ? len : width;
        if (nb < 64)
            need[nb++] = len + 1 + (t[e].cp_end - t[e].cp_start) + 10;
    }
    if (nb < 2 || width > 100)
        return;
    for (size_t k = 0; k < nb; k++)
        fits += need[k] > width;
    w->wrapped = fits * 2 >= nb;
}

/* Whether a line break before token i ends any name (see set_wrapped). */
static int hard_break(const struct work *w, size_t i)
{
    uint32_t f = w->toks.tokens[i].flags;
    return (f & TOKEN_LINE_START) && i > 0 &&
           ((f & TOKEN_PARA_START) || !w->wrapped || indented(w, i));
}

/* First token of (a, b) after a hard line break, or b. */
static size_t break_in(const struct work *w, size_t a, size_t b)
{
    for (size_t k = a + 1; k < b; k++)
        if (hard_break(w, k))
            return k;
    return b;
}

/* A word written in lower case; in a headline, one that news writes in lower case. */
static int lower_word(const struct work *w, size_t i)
{
    if (w->toks.tokens[i].flags & TOKEN_HEADLINE)
        return w->fd.t[i].wcase == GAZ_CASE_LOWER;
    return w->fd.t[i].tcase == NERFEAT_LOWER;
}

static int spans_from_tags(struct work *w)
{
    size_t n = w->toks.n;
    for (size_t i = 0; i < n;) {
        if (w->tags[i] == NER_O) { /* most tokens: no call */
            i++;
            continue;
        }
        int type = nermodel_tag_type((enum ner_tag)w->tags[i]);
        size_t a = i, b = i + 1;
        if (type < 0) {
            i++;
            continue;
        }
        /* a person's name wrapped at a soft line break may be tagged as two names
         * ("Clayton<LF>Yeutter": B-PER B-PER); two names are never written side by side */
        while (b < n && !hard_break(w, b) &&
               (w->tags[b] == 2 + 2 * type ||
                (type == 0 && w->tags[b] == NER_B_PER &&
                 (w->toks.tokens[b].flags & TOKEN_LINE_START) && capword(w, b) &&
                 capword(w, b - 1))))
            b++;
        i = b;
        if (type == 3)
            continue; /* MISC */
        /* leading titles, "the"; trailing punctuation and possessives */
        while (a < b && ((w->fd.t[a].flags & NERFEAT_IN_TITLE) && type == 0 && b - a > 1))
            a++;
        while (a < b && ((tok_is(w, a, "the") && w->fd.t[a].tcase == NERFEAT_LOWER) ||
                         !(w->toks.tokens[a].flags & TOKEN_WORD)))
            a++;
        /* nor does it end with punctuation or a lower-case word ("XI TALKS" -> "Xi talks") */
        while (b > a && (!(w->toks.tokens[b - 1].flags & TOKEN_WORD) || lower_word(w, b - 1)))
            b--;
        if (a >= b)
            continue;
        int any_cap = 0, chrome = 0, weak = 1;
        for (size_t k = a; k < b; k++) {
            any_cap |= capword(w, k) || (w->toks.tokens[k].flags & TOKEN_DIGIT && k > a);
            chrome |= (w->fd.t[k].flags & NERFEAT_CHROME) != 0;
            if (!(w->fd.t[k].gaz & (GAZ_TIME | GAZ_STOP | GAZ_TITLE)) ||
                (w->fd.t[k].gaz & GAZ_PLACE_MASK))
                weak = 0;
        }
        /* a name does not start with a lower-case word other than a particle ("de Klerk") */
        if (!any_cap || chrome || (lower_word(w, a) && !(w->fd.t[a].gaz & GAZ_PARTICLE)))
            continue;
        if (add_cand(w, a, b, type) != 0)
            return -1;
        w->c[w->nc - 1].weak = weak;
    }
    return 0;
}

/* ---- 3. rules ---- */

/* End of the name that starts at capitalised token i (capitalised words and particles). */
static size_t name_end(const struct work *w, size_t i)
{
    size_t e = i + 1, last = i;
    while (e < w->toks.n && e < i + 5 && !(w->toks.tokens[e].flags & TOKEN_SENT_START) &&
           !hard_break(w, e)) {
        if (capword(w, e) && !(w->fd.t[e].gaz & (GAZ_TIME | GAZ_STOP))) {
            last = e++;
            continue;
        }
        if ((w->fd.t[e].gaz & GAZ_PARTICLE) && w->fd.t[e].tcase == NERFEAT_LOWER &&
            e + 1 < w->toks.n && capword(w, e + 1)) {
            e++;
            continue;
        }
        break;
    }
    return last + 1;
}

/* "Mr. Rubio", "Foreign Minister Sergei Lavrov": a person after a title. */
static int rule_titles(struct work *w)
{
    for (size_t i = 1; i < w->toks.n; i++) {
        const struct nerfeat_token *t = &w->fd.t[i];
        if (!(t->flags & NERFEAT_AFTER_TITLE) || !capword(w, i) ||
            (t->gaz & (GAZ_TIME | GAZ_STOP)) || (t->flags & NERFEAT_IN_TITLE) ||
            (w->toks.tokens[i].flags & TOKEN_SENT_START))
            continue;
        if (w->covered[i]) {
            /* an honorific makes an organisation or place tag a person */
            if (honorific(w, i - 1) ||
                (i >= 2 && honorific(w, i - 2) && !(w->toks.tokens[i - 1].flags & TOKEN_WORD))) {
                for (size_t k = 0; k < w->nc; k++)
                    if (w->c[k].a == i)
                        w->c[k].type = 0;
            }
            continue;
        }
        size_t title_tok = i - 1;
        if (!personal_title(w, title_tok))
            continue;
        if (t->place && !honorific(w, title_tok))
            continue; /* "President Obama" yes, "Minister France" no */
        size_t e = name_end(w, i);
        for (size_t k = i; k < e; k++)
            if (w->covered[k])
                e = k;
        if (e > i && add_cand(w, i, e, 0) != 0)
            return -1;
    }
    return 0;
}

/* A run of two or three capitalised words that the model left untagged, made of a first name
 * or a word unknown to the lexicon, then a surname-like word, with no place, organisation,
 * title or calendar word in it ("Sergey Lavrov arrived"): a person. */
static int rule_names(struct work *w)
{
    const uint32_t stop = GAZ_PLACE_MASK | GAZ_ORG | GAZ_ORGCUE | GAZ_LOCCUE | GAZ_TITLE |
                          GAZ_TIME | GAZ_STOP | GAZ_CHROME;
    for (size_t i = 0; i < w->toks.n; i++) {
        size_t e = i;
        while (e < w->toks.n && e < i + 4 && capword(w, e) && !w->covered[e] &&
               w->fd.t[e].tcase == NERFEAT_CAP && !(w->fd.t[e].gaz & stop) &&
               !(w->toks.tokens[e].flags & TOKEN_HEADLINE) &&
               (e == i || !(w->toks.tokens[e].flags & TOKEN_SENT_START || hard_break(w, e))))
            e++;
        if (e - i < 2 || e - i > 3 || (e < w->toks.n && capword(w, e)) ||
            (i > 0 && capword(w, i - 1) && !(w->toks.tokens[i].flags & TOKEN_SENT_START))) {
            i = e > i ? e - 1 : i;
            continue;
        }
        const struct nerfeat_token *f = &w->fd.t[i], *l = &w->fd.t[e - 1];
        int first = (f->gaz & GAZ_FIRSTNAME) || f->wcase == GAZ_CASE_UNKNOWN;
        int last = l->wcase == GAZ_CASE_UNKNOWN || l->wcase == GAZ_CASE_ALWAYS_CAP;
        if (first && last && !(l->gaz & GAZ_FIRSTNAME && l->wcase != GAZ_CASE_UNKNOWN) &&
            add_cand(w, i, e, 0) != 0)
            return -1;
        i = e - 1;
    }
    return 0;
}

/* Letters of an acronym token ("U.S." -> "US"), upper case ASCII; 0 when not one. */
static size_t acronym_letters(const struct work *w, size_t i, char *out, size_t cap)
{
    const struct token *t = &w->toks.tokens[i];
    size_t k = 0;
    if (!(t->flags & TOKEN_ALLCAPS) || (t->flags & TOKEN_NONASCII) || (t->flags & TOKEN_HEADLINE))
        return 0;
    for (size_t b = t->byte_start; b < t->byte_end; b++) {
        char ch = w->text[b];
        if (ch == '.' || ch == '&' || ch == '-')
            continue;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) || k + 1 >= cap)
            return 0;
        out[k++] = ch;
    }
    out[k] = '\0';
    return k >= 2 && k <= 8 ? k : 0;
}

/* Whether tokens [a, b) spell the acronym by the initials of their capitalised words. */
static int initials_match(const struct work *w, size_t a, size_t b, const char *acr, size_t n)
{
    size_t k = 0;
    for (size_t i = a; i < b; i++) {
        const char *s = w->text + w->toks.tokens[i].byte_start;
        if (!capword(w, i))
            continue;
        if (k >= n)
            return 0;
        char ch = s[0] >= 'a' && s[0] <= 'z' ? (char)(s[0] - 32) : s[0];
        if (ch != acr[k])
            return 0;
        k++;
        /* hyphenated words may give several letters ("Asia-Pacific") */
        for (size_t p = w->toks.tokens[i].byte_start + 1; p + 1 < w->toks.tokens[i].byte_end; p++)
            if (w->text[p] == '-' && k < n) {
                char c2 = w->text[p + 1];
                c2 = c2 >= 'a' && c2 <= 'z' ? (char)(c2 - 32) : c2;
                if (c2 == acr[k])
                    k++;
            }
    }
    return k == n;
}

/* Whether the letters of tokens [a, b) contain acr[0..n) in order, acr[0] as the first. */
static int letters_contain(const struct work *w, size_t a, size_t b, const char *acr, size_t n)
{
    size_t k = 0;
    const char *s = w->text + w->toks.tokens[a].byte_start;
    const char *e = w->text + w->toks.tokens[b - 1].byte_end;
    char first = *s >= 'a' && *s <= 'z' ? (char)(*s - 32) : *s;
    if (first != acr[0])
        return 0;
    for (; s < e && k < n; s++) {
        char ch = *s >= 'a' && *s <= 'z' ? (char)(*s - 32) : *s;
        if (ch == acr[k])
            k++;
    }
    return k == n;
}

/* "Securities and Exchange Commission (SEC)": acronym and long form are one entity. */
static int rule_parentheses(struct work *w, size_t **links, size_t *nlinks)
{
    for (size_t i = 2; i + 1 < w->toks.n; i++) {
        char acr[16];
        size_t n, best = 0;
        /* the parentheses first: they rule out almost every token at once */
        if (!tok_is(w, i - 1, "(") || !tok_is(w, i + 1, ")") ||
            (n = acronym_letters(w, i, acr, sizeof acr)) == 0)
            continue;
        /* the long form ends just before "(" */
        size_t end = i - 1, ci_long = SIZE_MAX, ci_acr = SIZE_MAX;
        for (size_t a = end; a-- > 0 && end - a <= 12;) {
            if (w->toks.tokens[a].flags & TOKEN_SENT_START && a + 1 < end && !capword(w, a))
                break;
            if (capword(w, a) && initials_match(w, a, end, acr, n)) {
                best = a + 1;
                break;
            }
        }
        if (best == 0) {
            /* a tagged name right before "(": its letters need only contain the acronym's
             * in order, the first as its initial (Schwartz & Hearst) */
            for (size_t k = 0; k < w->nc && best == 0; k++)
                if (w->c[k].b == end && end - w->c[k].a >= 2 &&
                    letters_contain(w, w->c[k].a, end, acr, n))
                    best = w->c[k].a + 1;
        }
        if (best == 0)
            continue;
        size_t a = best - 1;
        for (size_t k = 0; k < w->nc; k++) {
            if (w->c[k].b == end && w->c[k].a < end)
                ci_long = k;
            if (w->c[k].a == i && w->c[k].b == i + 1)
                ci_acr = k;
        }
        if (ci_long != SIZE_MAX && w->c[ci_long].a < a) {
            /* "Apple Inc and Taiwan Semiconductor Manufacturing Co (TSMC)": the tagged span
             * holds two names; the acronym's long form is the tail */
            size_t head = w->c[ci_long].a, e = a;
            while (e > head && !capword(w, e - 1))
                e--;
            w->c[ci_long].a = a;
            if (e > head && capword(w, head)) {
                if (add_cand(w, head, e, w->c[ci_long].type) != 0)
                    return -1;
            }
        }
        int type = ci_long != SIZE_MAX  ? w->c[ci_long].type
                   : ci_acr != SIZE_MAX ? w->c[ci_acr].type
                                        : 1;
        if (ci_long == SIZE_MAX) {
            int free_span = 1;
            for (size_t k = a; k < end; k++)
                free_span &= !w->covered[k];
            if (!free_span)
                continue;
            if (add_cand(w, a, end, type) != 0)
                return -1;
            ci_long = w->nc - 1;
        }
        if (ci_acr == SIZE_MAX) {
            if (w->covered[i])
                continue;
            if (add_cand(w, i, i + 1, type) != 0)
                return -1;
            ci_acr = w->nc - 1;
        }
        size_t *p = realloc(*links, (*nlinks + 1) * 2 * sizeof *p);
        if (p == NULL)
            return -1;
        *links = p;
        p[*nlinks * 2] = w->c[ci_long].a; /* by start token: indices move when sorted */
        p[*nlinks * 2 + 1] = w->c[ci_acr].a;
        (*nlinks)++;
    }
    return 0;
}

/* ---- 3b. what is not a name: credits, generic words, spans across lines ---- */

static int in_list(const struct work *w, size_t i, const char *const *list)
{
    size_t n;
    const char *f = tok_fold(w, i, &n);
    if (n == 0)
        return 0;
    for (size_t k = 0; list[k]; k++)
        if (list[k][0] == f[0] && strlen(list[k]) == n && memcmp(f, list[k], n) == 0)
            return 1;
    return 0;
}

/* News agencies as they sign off and date stories ("REUTER", "PARIS (AFP) -"). */
static int wire_name(const struct work *w, size_t i)
{
    static const char *const wires[] = {
        "reuter",   "reuters", "afp",       "ap",        "upi",     "dpa",     "ansa",
        "efe",      "xinhua",  "kyodo",     "yonhap",    "bernama", "pti",     "aap",
        "interfax", "tass",    "itar-tass", "bloomberg", "ians",    "anadolu", NULL,
    };
    return in_list(w, i, wires);
}

static int dash(const struct work *w, size_t i)
{
    return i < w->toks.n && (tok_is(w, i, "-") || tok_is(w, i, "--") ||
                             tok_is(w, i, "\xe2\x80\x94") || tok_is(w, i, "\xe2\x80\x93"));
}

static int punct(const struct work *w, size_t i, char ch)
{
    const struct token *t = &w->toks.tokens[i];
    return t->byte_end - t->byte_start == 1 && w->text[t->byte_start] == ch;
}

/* Marks in credit[] the tokens of wire sign-offs, datelines' agency credits and bylines:
 * a line that is an agency's name alone ("REUTER"), an agency in parentheses before a dash
 * ("LONDON (Reuters) -"), a short line "By <name>", and the names after "Reporting by",
 * "Editing by"... up to ";", ")", the end of the sentence or a hard line
 * break. */
static void mark_credits(const struct work *w, uint8_t *credit)
{
    static const char *const roles[] = {"reporting", "editing", "writing",
                                        "compiled",  "edited",  NULL};
    const struct token *t = w->toks.tokens;
    size_t n = w->toks.n;
    /* one pass, cheap tests first: this runs over every token of every article */
    for (size_t i = 0; i < n; i++) {
        uint32_t f = t[i].flags;
        if (f & TOKEN_LINE_START) {
            size_t e = i + 1, words = 0, wire = 0;
            while (e < n && e - i <= 12 && !(t[e].flags & TOKEN_LINE_START))
                e++;
            for (size_t k = i; k < e && e - i <= 3; k++) {
                if (t[k].flags & TOKEN_WORD) {
                    words++;
                    wire += capword(w, k) && wire_name(w, k);
                }
            }
            int byline = e - i <= 12 && e - i >= 2 && (e == n || (t[e].flags & TOKEN_LINE_START)) &&
                         t[e - 1].cp_end - t[i].cp_start < 60 && capword(w, i + 1) &&
                         tok_is(w, i, "by") && w->fd.t[i].tcase != NERFEAT_LOWER &&
                         !(w->fd.t[i + 1].gaz & GAZ_TIME);
            if ((words == 1 && wire == 1 && (e == n || (t[e].flags & TOKEN_LINE_START))) || byline)
                memset(credit + i, 1, e - i);
        }
        if (!(f & TOKEN_CAP) || i + 2 >= n)
            continue;
        if (i > 0 && punct(w, i - 1, '(') && punct(w, i + 1, ')') && capword(w, i) &&
            wire_name(w, i) && dash(w, i + 2))
            credit[i] = 1;
        /* a credit clause opens a line, a sentence or a parenthesis, or follows ";" */
        if (!(i == 0 || (f & (TOKEN_SENT_START | TOKEN_LINE_START)) || punct(w, i - 1, '(') ||
              punct(w, i - 1, ';')) ||
            !capword(w, i))
            continue;
        size_t r = tok_is(w, i, "additional") ? i + 1 : i;
        if (r + 1 >= n || !tok_is(w, r + 1, "by") || !in_list(w, r, roles))
            continue;
        size_t e = r + 2;
        while (e < n && !hard_break(w, e) && !(t[e].flags & TOKEN_SENT_START) &&
               !punct(w, e, ';') && !punct(w, e, ')'))
            e++;
        memset(credit + i, 1, e - i);
        i = e - 1;
    }
}

/* ---- 3a. names joined by "&" and names that end in "'s" ---- */

/* Whether token i is a possessive "'s" (any apostrophe). */
static int possessive(const struct work *w, size_t i)
{
    return i > 0 && i < w->toks.n && (w->fd.t[i - 1].flags & NERFEAT_POSS_NEXT);
}

/* Whether token i follows token i - 1 without a space ("Moody" "'s"). */
static int glued(const struct work *w, size_t i)
{
    return i > 0 && w->toks.tokens[i].byte_start == w->toks.tokens[i - 1].byte_end;
}

/* "Standard & Poor's Corp", cut at the "&" by the model, is one organisation's name (a
 * candidate that starts after "X &" takes the word X in, unless X is in a longer name; a
 * candidate that is X alone is dropped); "Moody's", cut at the possessive, keeps its "'s" when the article
 * writes it inside a longer name ("Moody's Investors Service") or before a verb that only a
 * name can take ("Moody's said"). Returns 0, or -1 on allocation failure. */
static int rule_joined_names(struct work *w)
{
    static const char *const verbs[] = {
        "said",     "says",      "rated",     "rates",    "downgraded", "upgraded", "lowered",
        "raised",   "affirmed",  "placed",    "confirmed", "assigned",  "reviewed", "cut",
        "expects",  "estimated", "reported",  NULL,
    };
    static const char *const conj[] = {"and", "or", "nor", "but", NULL};
    size_t n = w->toks.n, o = 0;
    uint8_t *inner = calloc(w->fd.nwords + 1, 1), *drop = calloc(w->nc + 1, 1);
    if (inner == NULL || drop == NULL) {
        free(inner);
        free(drop);
        return -1;
    }
    for (size_t k = 0; k < w->nc; k++) {
        struct cand *c = &w->c[k];
        for (size_t j = c->a; j + 2 < c->b; j++)
            if (possessive(w, j + 1) && glued(w, j + 1))
                inner[w->fd.t[j].word] = 1;
    }
    for (size_t k = 0; k < w->nc; k++) {
        struct cand *c = &w->c[k];
        size_t a = c->a;
        if (drop[k])
            continue;
        /* "Standard and Poor's Corp": with "and", only before a possessive name and after a
         * capitalised word that is in no other name */
        int and = a >= 2 && tok_is(w, a - 1, "and") && c->type == ENTITY_ORGANIZATION &&
                  possessive(w, a + 1) && !w->covered[a - 2] &&
                  !(w->fd.t[a - 2].gaz & (GAZ_STOP | GAZ_TIME | GAZ_TITLE));
        size_t other = SIZE_MAX; /* a candidate that is the word before "&" alone */
        int free_word = a >= 2 && (and || punct(w, a - 1, '&'));
        for (size_t j = 0; j < w->nc && free_word; j++)
            if (j != k && w->c[j].a <= a - 2 && w->c[j].b > a - 2) {
                free_word = w->c[j].a == a - 2 && w->c[j].b == a - 1;
                other = j;
            }
        if (free_word && (punct(w, a - 1, '&') || and) && capword(w, a - 2) &&
            !hard_break(w, a - 1) && !hard_break(w, a)) {
            a -= 2;
            if (other != SIZE_MAX)
                drop[other] = 1;
            c->a = a;
            c->type = ENTITY_ORGANIZATION;
            for (size_t j = a; j < c->b; j++)
                w->covered[j] = 1;
        }
        /* an organisation's possessive with no noun after it ("rated by Moody's.", "by Moody's
         * and Standard and Poor's") is its name */
        if (c->b < n && possessive(w, c->b) && glued(w, c->b) &&
            ((c->b + 1 < n && (inner[w->fd.t[c->b - 1].word] ||
                               (w->fd.t[c->b + 1].tcase == NERFEAT_LOWER &&
                                in_list(w, c->b + 1, verbs)))) ||
             (c->type == ENTITY_ORGANIZATION &&
              (c->b + 1 == n || (w->toks.tokens[c->b + 1].flags & TOKEN_SENT_START) ||
               punct(w, c->b + 1, '.') || punct(w, c->b + 1, ',') || punct(w, c->b + 1, ';') ||
               punct(w, c->b + 1, ')') || punct(w, c->b + 1, ':') ||
               (w->fd.t[c->b + 1].tcase == NERFEAT_LOWER && in_list(w, c->b + 1, conj)))))) {
            w->covered[c->b] = 1;
            c->b++;
        }
    }
    for (size_t k = 0; k < w->nc; k++) {
        if (drop[k])
            continue;
        w->c[o] = w->c[k];
        w->c[o].set = o;
        o++;
    }
    w->nc = o;
    free(inner);
    free(drop);
    return 0;
}

/* A legal form or generic head alone: a word of organisation names, not one ("Inc",
 * "Bank", "Commission"; "Moody's Investors Service Inc" stays whole). */
static int generic_word(const struct work *w, size_t i)
{
#define W(s)                                                                                       \
    {                                                                                              \
        s, sizeof s - 1                                                                            \
    }
    static const struct {
        const char *s;
        size_t n;
    } words[] = {
        W("inc"),         W("inc."),        W("corp"),    W("corp."), W("co"),         W("co."),
        W("cos"),         W("cos."),        W("ltd"),     W("ltd."),  W("plc"),        W("llc"),
        W("limited"),     W("corporation"), W("company"), W("bank"),  W("commission"), W("federal"),
        W("association"), W("united"),      W("tv"),      W("group"), W("holdings"),
        W("pc"),          W("pcs"),         W("dvd"),     W("dvds"),  W("cd"),        W("cds"),
        W("gdp"),         W("gnp"),
    };
#undef W
    size_t n;
    const char *f = tok_fold(w, i, &n);
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
        if (n == words[k].n && memcmp(f, words[k].s, n) == 0)
            return 1;
    return 0;
}

/* A sentence adverb, capitalised at the start of a sentence ("Moreover, ..."): a closed
 * class of English words, never a name. */
static int sentence_adverb(const struct work *w, size_t i)
{
    static const char *const adv[] = {
        "moreover",  "furthermore", "meanwhile",    "nevertheless", "nonetheless",
        "therefore", "thus",        "hence",        "accordingly",  "consequently",
        "besides",   "likewise",    "otherwise",    "instead",      "indeed",
        "overall",   "finally",     "additionally", "similarly",    "alternatively",
        "elsewhere", "separately",  "subsequently", "previously",   "currently",
        NULL,
    };
    return in_list(w, i, adv);
}

/* Marks in credit[] the tokens of page chrome lines (chrome.h: reading-time badges, share
 * and "related" rails, hashtag blocks, script notices). */
static void mark_chrome(const struct work *w, uint8_t *credit)
{
    struct chrome_span sp[64];
    size_t ns = chrome_spans(w->text, w->toks.n ? w->toks.tokens[w->toks.n - 1].byte_end : 0,
                             sp, sizeof sp / sizeof sp[0]), i = 0;
    if (ns > sizeof sp / sizeof sp[0])
        ns = sizeof sp / sizeof sp[0];
    for (size_t k = 0; k < ns; k++) {
        while (i < w->toks.n && w->toks.tokens[i].byte_start < sp[k].start)
            i++;
        for (; i < w->toks.n && w->toks.tokens[i].byte_start < sp[k].end; i++)
            credit[i] = 1;
    }
}

/* Initials with periods ("H.K."): a person is never named by them alone. */
static int dotted_initials(const struct work *w, size_t i)
{
    const struct token *t = &w->toks.tokens[i];
    char acr[16];
    return acronym_letters(w, i, acr, sizeof acr) != 0 &&
           memchr(w->text + t->byte_start, '.', t->byte_end - t->byte_start) != NULL;
}

/* Whether token i is inside a ticker written in angle brackets ("<SCHN.PA>"): a glued run
 * of at most 6 tokens from "<" to ">". */
static int in_ticker(const struct work *w, size_t i)
{
    size_t a = i, b = i;
    while (a > 0 && i - a < 6 && glued(w, a) && !punct(w, a - 1, '<'))
        a--;
    if (a == 0 || !glued(w, a) || !punct(w, a - 1, '<'))
        return 0;
    while (b + 1 < w->toks.n && b - i < 6 && glued(w, b + 1) && !punct(w, b + 1, '>'))
        b++;
    return b + 1 < w->toks.n && glued(w, b + 1) && punct(w, b + 1, '>');
}

/* A word of institutions' and portfolios' names that says which kind of body, not which
 * country's ("Finance", "Ministry", "Central", "Bank", "Court", "House"). */
static int role_word(const struct work *w, size_t i)
{
    static const char *const role[] = {
        "finance",  "foreign",  "interior", "defence",  "defense",  "trade",  "economy",
        "economic", "justice",  "health",   "ministry", "treasury", "central", "reserve",
        "bank",     "district", "court",    "house",    "affairs",  "home",   "education",
        NULL,
    };
    return in_list(w, i, role);
}

/* A name whose words are all institution and portfolio words ("Finance Ministry", "Central
 * Bank", "House") names a role that many countries' bodies fill, not one body; "US District
 * Court" names the courts of every district. A country, a place or another word in it
 * ("U.S. Treasury", "Reserve Bank of Australia", "House of Commons") makes it one. */
static int role_name(const struct work *w, const struct cand *c)
{
    size_t a = c->a, roles = 0, district = 0;
    if (c->type != ENTITY_ORGANIZATION)
        return 0;
    for (size_t k = a; k < c->b; k++) {
        district |= tok_is(w, k, "district");
        district |= tok_is(w, k, "court") && k > a && tok_is(w, k - 1, "district");
    }
    /* a district court is the one of a named district, not of a country */
    if (district && c->b - a >= 3 && (w->fd.t[a].gaz & GAZ_COUNTRY))
        a++;
    for (size_t k = a; k < c->b; k++) {
        if (!role_word(w, k) || !capword(w, k))
            return 0;
        roles++;
    }
    return roles > 0;
}

/* Whether every word of c is a legal form ("Co Inc"): a suffix, not a name. */
static int legal_forms_only(const struct work *w, const struct cand *c)
{
    static const char *const forms[] = {
        "inc", "inc.", "corp", "corp.", "co", "co.", "cos", "cos.", "ltd", "ltd.",
        "plc", "llc",  "ag",   "sa",    "nv", "gmbh", "limited", "corporation", "company", NULL,
    };
    for (size_t k = c->a; k < c->b; k++)
        if (!in_list(w, k, forms) && !punct(w, k, '&') && !punct(w, k, '.') &&
            !punct(w, k, ','))
            return 0;
    return 1;
}

/* Drops the candidates that are credits or generic words, and cuts the others at the first
 * hard line break (any rule that crossed one). Links to a dropped candidate go too. Returns
 * 0, or -1 on allocation failure. */
static int rule_not_names(struct work *w, size_t *links, size_t *nlinks)
{
    uint8_t *credit = calloc(w->toks.n + 1, 1), *kept_start = NULL;
    size_t o = 0;
    if (credit == NULL)
        return -1;
    kept_start = calloc(w->toks.n + 1, 1);
    if (kept_start == NULL) {
        free(credit);
        return -1;
    }
    mark_credits(w, credit);
    mark_chrome(w, credit);
    for (size_t k = 0; k < w->nc; k++) {
        struct cand *c = &w->c[k];
        /* "Love Will Tear Us Apart": the pronoun in title case is not the "US" */
        int drop = c->b - c->a == 1 && (generic_word(w, c->a) || sentence_adverb(w, c->a) ||
                                        (tok_is(w, c->a, "us") &&
                                         !(w->toks.tokens[c->a].flags & TOKEN_ALLCAPS)) ||
                                        (c->type == ENTITY_PERSON && dotted_initials(w, c->a)));
        for (size_t j = c->a; j < c->b && !drop; j++)
            drop = credit[j];
        /* nothing in a ticker ("<SCHN.PA>"); suffixes alone ("Co Inc"); roles ("Treasury") */
        if (drop || in_ticker(w, c->a) || legal_forms_only(w, c) || role_name(w, c))
            continue;
        /* "President Reagan ... Athough Reagan's topic": a word the lexicon does not know
         * (a misspelling) opening a sentence before the surname of a person the article
         * named earlier after a title is not a first name */
        if (c->type == ENTITY_PERSON && c->b - c->a == 2 &&
            (w->toks.tokens[c->a].flags & TOKEN_SENT_START) &&
            w->fd.t[c->a].wcase == GAZ_CASE_UNKNOWN && !(w->fd.t[c->a].gaz & GAZ_FIRSTNAME)) {
            for (size_t j = 0; j < k; j++)
                if (w->c[j].b - w->c[j].a == 1 && w->c[j].a < c->a && w->c[j].a > 0 &&
                    personal_title(w, w->c[j].a - 1) &&
                    w->fd.t[w->c[j].a].word == w->fd.t[c->a + 1].word) {
                    c->a++;
                    break;
                }
        }
        /* "Chancellor of the Exchequer Nigel Lawson": a title's last word glued to the name
         * of the person who holds it (a first name then a surname) */
        if (c->b - c->a >= 3 && c->a >= 2 && tok_is(w, c->a - 1, "the") &&
            tok_is(w, c->a - 2, "of") && (w->fd.t[c->a + 1].gaz & GAZ_FIRSTNAME) &&
            !(w->fd.t[c->a].gaz & GAZ_FIRSTNAME) && capword(w, c->a + 1) &&
            capword(w, c->a + 2) && w->fd.t[c->a + 1].wcase != GAZ_CASE_LOWER) {
            c->a++;
            c->type = ENTITY_PERSON;
        }
        c->b = break_in(w, c->a, c->b);
        /* what is left before the break ends with a word, not "and" or a comma */
        while (c->b > c->a + 1 && !(possessive(w, c->b - 1) && glued(w, c->b - 1)) &&
               (!(w->toks.tokens[c->b - 1].flags & TOKEN_WORD) || lower_word(w, c->b - 1)))
            c->b--;
        c->set = o;
        kept_start[c->a] = 1;
        w->c[o++] = *c;
    }
    w->nc = o;
    o = 0;
    for (size_t k = 0; k < *nlinks; k++) {
        if (!kept_start[links[2 * k]] || !kept_start[links[2 * k + 1]])
            continue;
        links[2 * o] = links[2 * k];
        links[2 * o + 1] = links[2 * k + 1];
        o++;
    }
    *nlinks = o;
    free(credit);
    free(kept_start);
    return 0;
}

/* ---- 4. coreference ---- */

static size_t find(struct cand *c, size_t i)
{
    while (c[i].set != i) {
        c[i].set = c[c[i].set].set;
        i = c[i].set;
    }
    return i;
}

static void unite(struct cand *c, size_t a, size_t b)
{
    a = find(c, a);
    b = find(c, b);
    if (a == b)
        return;
    if (a < b)
        c[b].set = a;
    else
        c[a].set = b;
}

/* ---- 3c. organisations with a person's shape ---- */

/* Evidence (struct cand.org) that a name tagged as a person's is an organisation's. */
#define ORG_STRONG 1 /* its own words say so: "Chrysler Corp", "E.F. Hutton and Co" */
#define ORG_WEAK   2 /* its context says so for a lone word: "Chelsea boss", "Chelsea have" */
#define ORG_PLACE  4 /* a place's, not an organisation's ("Hartford, Conn.", a table row) */

/* A legal form that ends a company's name ("Corp", "Inc", "Co", "plc", "AG"). */
static int legal_form(const struct work *w, size_t i)
{
    static const char *const forms[] = {
        "inc", "inc.", "corp", "corp.", "co",  "co.",  "cos",  "cos.", "ltd",  "ltd.", "plc",
        "llc", "ag",   "sa",   "s.a.", "nv",  "n.v.", "gmbh", "spa",  "s.p.a.", "bv", NULL,
    };
    return i < w->toks.n && capword(w, i) && in_list(w, i, forms);
}

static int amp_or_and(const struct work *w, size_t i)
{
    return i < w->toks.n && (punct(w, i, '&') || tok_is(w, i, "and"));
}

/* What the words right around candidate c say of its type. pend[k]: bit 1, token k ends a
 * person's full name; bit 2 ends an organisation's name, bit 4 starts one. Strong: a legal form follows ("Chrysler Corp", "and Company Inc"), or a
 * chain of partners ending in one ("Smith Barney, Harris Upham and Co"), a slash joins
 * another capitalised name ("Royal Dutch/Shell"), a ticker follows ("E.F. Hutton <EFH>"),
 * shares are its ("shares of Apple", "Sony's shares"), its analysts speak ("E.F. Hutton
 * food analyst June Page", "an analyst with E.F. Hutton"), or a person is "of" it ("Joseph
 * Doyle of Smith Barney"; a place when it is one). Weak (for a lone word only): a club's
 * roles, fans or plural verb follow it ("Chelsea boss Jose Mourinho", "Chelsea have"). */
static int org_context(const struct work *w, const struct cand *c, const uint8_t *pend)
{
    static const char *const club[] = {
        "boss",     "manager",    "striker",   "midfielder", "defender",   "goalkeeper",
        "keeper",   "winger",     "fans",      "supporters", "skipper",    "squad",
        "chairman", "left-back",  "right-back", "full-back", "centre-back", NULL};
    static const char *const held[] = {"shares", "stock", "stake", "share", NULL};
    static const char *const staff[] = {"analyst", "analysts", "economist", "economists",
                                        "strategist", "executive", "director", "chairman",
                                        "president", "meteorologist", "trader", "partner",
                                        NULL};
    static const char *const plural[] = {"have", "were",   "are",    "face",  "host",
                                         "play", "meet",   "travel", "visit", "need",
                                         "boast", "remain", NULL};
    static const char *const head[] = {"firm",      "company",  "club",     "giant",
                                       "carmaker",  "maker",    "retailer", "brokerage",
                                       "insurer",   "airline",  "bank",     "conglomerate",
                                       "publisher", "broadcaster", NULL};
    static const char *const foreign[] = {"banque",   "banco",   "banca",   "compagnie",
                                          "societe",  "société", "groupe",  "caisse",
                                          "credito",  "crédit",  "sociedad", "companhia",
                                          "instituto", NULL};
    size_t a = c->a, b = c->b, n = w->toks.n;
    /* an organisation's head word in it: "Banque Paribas", "Morgan Guaranty Trust" */
    if (in_list(w, a, foreign) ||
        (b - a >= 2 && (w->fd.t[b - 1].gaz & GAZ_ORGCUE) && !(w->fd.t[b - 1].gaz & GAZ_TITLE)))
        return ORG_STRONG;
    if (legal_form(w, b) ||
        (amp_or_and(w, b) && (legal_form(w, b + 1) || (b + 1 < n && capword(w, b + 1) &&
                                                       tok_is(w, b + 1, "company")))))
        return ORG_STRONG;
    if (b + 1 < n && (punct(w, b, '/') || punct(w, b, '<')) && !hard_break(w, b + 1) &&
        (w->toks.tokens[b + 1].flags & TOKEN_ALLCAPS))
        return ORG_STRONG;
    if (b + 1 < n && punct(w, b, '/') && capword(w, b + 1) && !hard_break(w, b + 1))
        return ORG_STRONG;
    if (b < n && punct(w, b, ',')) {
        int and = 0;
        for (size_t k = b + 1; k < n && k <= b + 8 && !hard_break(w, k); k++) {
            if (legal_form(w, k))
                return and ? ORG_STRONG : 0;
            if (amp_or_and(w, k))
                and = 1;
            else if (!capword(w, k) && !punct(w, k, ','))
                break;
        }
    }
    if (b + 1 < n && possessive(w, b) && in_list(w, b + 1, held))
        return ORG_STRONG;
    for (size_t k = b; k < n && k < b + 3 && w->fd.t[k].tcase == NERFEAT_LOWER; k++)
        if (tok_is(w, k, "analyst") || tok_is(w, k, "analysts"))
            return ORG_STRONG;
    if (a >= 2 && (tok_is(w, a - 1, "of") || tok_is(w, a - 1, "with") ||
                   tok_is(w, a - 1, "at") || tok_is(w, a - 1, "for"))) {
        if (in_list(w, a - 2, held) && tok_is(w, a - 1, "of"))
            return ORG_STRONG;
        if (w->fd.t[a - 2].tcase == NERFEAT_LOWER && in_list(w, a - 2, staff))
            return ORG_STRONG;
        if ((pend[a - 2] & 1) && !tok_is(w, a - 1, "for"))
            return (w->fd.t[a].gaz & GAZ_PLACE_MASK) ? ORG_PLACE : ORG_STRONG;
    }
    if (b - a != 1)
        return 0;
    /* a team takes a plural verb in British usage ("Chelsea have", "Arsenal were"); a
     * person never does */
    if (b < n && w->fd.t[b].tcase == NERFEAT_LOWER &&
        (in_list(w, b, club) || in_list(w, b, plural) || tok_is(w, b, "which")))
        return ORG_WEAK;
    /* "computer firm Apple"; ", which" (a person is "who"); fixtures ("Newcastle v
     * Chelsea"); a list with an organisation ("Motorola and Apple", "Everton, Chelsea") */
    if (a > 0 && w->fd.t[a - 1].tcase == NERFEAT_LOWER && in_list(w, a - 1, head))
        return ORG_WEAK;
    if (b + 1 < n && punct(w, b, ',') && tok_is(w, b + 1, "which"))
        return ORG_WEAK;
    if ((b + 1 < n && (tok_is(w, b, "v") || tok_is(w, b, "vs") || tok_is(w, b, "v.")) &&
         capword(w, b + 1)) ||
        (a >= 2 && (tok_is(w, a - 1, "v") || tok_is(w, a - 1, "vs") || tok_is(w, a - 1, "v.")) &&
         capword(w, a - 2)))
        return ORG_WEAK;
    if ((a >= 2 && (pend[a - 2] & 2) && (punct(w, a - 1, ',') || tok_is(w, a - 1, "and"))) ||
        (b + 1 < n && (pend[b + 1] & 4) && (punct(w, b, ',') || tok_is(w, b, "and"))))
        return ORG_WEAK;
    if (a >= 2 && tok_is(w, a - 1, "for") && tok_is(w, a - 2, "signed"))
        return ORG_WEAK;
    return 0;
}

/* US states as news agencies abbreviate them after a town ("Hartford, Conn."): AP style. */
static int state_abbreviation(const struct work *w, size_t i)
{
    static const char *const st[] = {
        "ala",  "ariz", "ark",  "calif", "colo", "conn", "del",  "fla",  "ga",   "ill",
        "ind",  "kan",  "kans", "ky",    "la",   "md",   "mass", "mich", "minn", "miss",
        "mo",   "mont", "neb",  "nev",   "okla", "ore",  "pa",   "tenn", "tex",  "vt",
        "va",   "wash", "wis",  "wyo",   NULL,
    };
    size_t n;
    const char *f = tok_fold(w, i, &n);
    char buf[8];
    if (n == 0 || n >= sizeof buf)
        return 0;
    memcpy(buf, f, n);
    buf[n - (f[n - 1] == '.')] = '\0'; /* "Conn." and "Conn" */
    for (size_t k = 0; st[k]; k++)
        if (strcmp(buf, st[k]) == 0)
            return 1;
    return 0;
}

/* Nicknames of political parties that news writes like names ("Tory", "Lib Dems"): news
 * conventions, not a corpus's names. Key forms. */
static int party_nickname(const char *keyform)
{
    static const char *const nick[] = {
        "tory",  "tories", "lib dem", "lib dems", "libdems", "labour", "ukip",
        "snp",   "gop",    "whigs",   "sinn fein", "plaid cymru", NULL,
    };
    for (size_t k = 0; nick[k]; k++)
        if (keyform[0] == nick[k][0] && strcmp(keyform, nick[k]) == 0)
            return 1;
    return 0;
}

/* What the words around a person-shaped name say it names instead: 1, a work's title or an
 * award (after "film", "novel", "album"...: "the film Vera Drake"; before "star", "author",
 * "films"...: "Harry Potter star Daniel Radcliffe"; a first name alone after "a", "an",
 * "the": "won an Oscar"); 2, a band ("the band Franz Ferdinand"); 0, nothing. */
static int work_context(const struct work *w, const struct cand *c)
{
    /* not "play", "show", "book": verbs before a name ("will play Agassi") */
    static const char *const before[] = {
        "film",   "movie",  "album", "novel",       "musical", "song",
        "series", "sitcom", "opera", "documentary", "films",   "movies", NULL,
    };
    static const char *const after[] = {
        "film",   "films",  "movie",  "movies",    "book",  "books", "novel", "novels",
        "series", "saga",   "franchise", "star",   "stars", "author", "actor", "actress",
        "sequel", "trilogy", NULL,
    };
    static const char *const dets[] = {"a", "an", "the", NULL};
    size_t a = c->a, b = c->b;
    if (a > 0 && w->fd.t[a - 1].tcase == NERFEAT_LOWER) {
        if (in_list(w, a - 1, before))
            return 1;
        if (tok_is(w, a - 1, "band") || tok_is(w, a - 1, "group"))
            return 2;
        /* a first name alone after an article: "an Oscar" ("a Clinton aide" stays) */
        if (b - a == 1 && in_list(w, a - 1, dets) && (w->fd.t[a].gaz & GAZ_FIRSTNAME))
            return 1;
    }
    if (b < w->toks.n && w->fd.t[b].tcase == NERFEAT_LOWER && in_list(w, b, after))
        return 1;
    return 0;
}

/* Sets c.org for the candidates tagged as a person's and joins a person-shaped name to the
 * company whose name it starts ("Chrysler" to "Chrysler Corp" in the same article).
 * Returns 0, or -1 on allocation failure. */
static int org_evidence(struct work *w)
{
    struct cand *c = w->c;
    size_t nc = w->nc, withform[64], nf = 0;
    uint8_t *pend = calloc(w->toks.n + 1, 1);
    if (pend == NULL)
        return -1;
    for (size_t i = 0; i < nc; i++)
        if (c[i].type == ENTITY_PERSON && c[i].b - c[i].a >= 2 && strchr(c[i].keyform, ' '))
            pend[c[i].b - 1] |= 1;
        else if (c[i].type == ENTITY_ORGANIZATION) {
            pend[c[i].b - 1] |= 2;
            pend[c[i].a] |= 4;
        }
    for (size_t i = 0; i < nc && nf < 64; i++)
        if (c[i].type == ENTITY_ORGANIZATION && c[i].b - c[i].a >= 2 &&
            legal_form(w, c[i].b - 1))
            withform[nf++] = i;
    for (size_t i = 0; i < nc; i++) {
        if (c[i].type != ENTITY_PERSON || !c[i].keyform[0])
            continue;
        if (c[i].a > 0 && (w->fd.t[c[i].a - 1].gaz & GAZ_TITLE))
            continue;
        if (party_nickname(c[i].keyform)) {
            c[i].org = ORG_STRONG;
            continue;
        }
        int wc = work_context(w, &c[i]);
        if (wc == 1)
            c[i].title = 1;
        else if (wc == 2) {
            c[i].org = ORG_STRONG;
            continue;
        }
        c[i].org = org_context(w, &c[i], pend);
        if (c[i].b - c[i].a == 1 && capword(w, c[i].a)) {
            size_t a = c[i].a;
            const struct nerfeat_token *t = &w->fd.t[a];
            /* a news agency named in running text ("told Reuter") */
            if (wire_name(w, a))
                c[i].org = ORG_STRONG;
            /* "Hartford, Conn.", "Denver, Colo."; a listed place "in" or "near" it, or a
             * table row's label ("Denver  2.62  2.63") */
            else if ((a >= 2 && punct(w, a - 1, ',') && capword(w, a - 2) &&
                      state_abbreviation(w, a)) ||
                     (a + 2 < w->toks.n && punct(w, a + 1, ',') && state_abbreviation(w, a + 2) &&
                      capword(w, a + 2)) ||
                     ((t->gaz & GAZ_PLACE_MASK) &&
                      ((a > 0 && (tok_is(w, a - 1, "in") || tok_is(w, a - 1, "near"))) ||
                       ((w->toks.tokens[a].flags & TOKEN_LINE_START) && a + 1 < w->toks.n &&
                        (w->toks.tokens[a + 1].flags & TOKEN_DIGIT) &&
                        !(w->toks.tokens[a + 1].flags & TOKEN_LINE_START)))))
                c[i].org = ORG_PLACE;
        }
        for (size_t k = 0; k < nf && !c[i].org; k++) {
            const struct cand *o = &c[withform[k]];
            if (o->klen > c[i].klen && o->keyform[c[i].klen] == ' ' &&
                memcmp(o->keyform, c[i].keyform, c[i].klen) == 0) {
                c[i].org = ORG_STRONG;
                unite(c, i, withform[k]);
            }
        }
    }
    free(pend);
    return 0;
}

/* Last word of a key form. */
static const char *last_word(const char *k)
{
    const char *s = strrchr(k, ' ');
    return s ? s + 1 : k;
}

/* The key forms of all candidates (which are all known by now), in one block. */
static int set_keyforms(struct work *w)
{
    size_t total = 0, at = 0;
    for (size_t k = 0; k < w->nc; k++) {
        const struct cand *c = &w->c[k];
        total += w->toks.tokens[c->b - 1].byte_end - w->toks.tokens[c->a].byte_start;
    }
    total = total * 3 + 8 * w->nc + 1;
    w->keyforms = malloc(total);
    if (w->keyforms == NULL)
        return -1;
    for (size_t k = 0; k < w->nc; k++) {
        struct cand *c = &w->c[k];
        size_t bs = w->toks.tokens[c->a].byte_start, be = w->toks.tokens[c->b - 1].byte_end;
        size_t room = (be - bs) * 3 + 8;
        c->keyform = w->keyforms + at;
        c->klen = nameform_key_buf(w->text + bs, be - bs, c->keyform, room);
        if (c->klen == (size_t)-1)
            return -1;
        at += room;
        c->prefix = 0;
        for (size_t i = 0; i < 8; i++)
            c->prefix = c->prefix << 8 | (i < c->klen ? (unsigned char)c->keyform[i] : 0);
        const char *sp = memchr(c->keyform, ' ', c->klen);
        c->first_len = sp ? (size_t)(sp - c->keyform) : c->klen;
        c->last_off = (size_t)(last_word(c->keyform) - c->keyform);
    }
    return 0;
}

/* Occurrences that the model missed of names it found elsewhere in the article. Tokens of
 * one word are chained (next_same) so that each name visits only its word's positions. */
static int propagate(struct work *w)
{
    size_t nc0 = w->nc, n = w->toks.n, nwords = w->fd.nwords; /* word indices: 0..nwords-1 */
    size_t *next_same = malloc((n + 1) * sizeof *next_same), *first = NULL;
    int rc = -1;

    if (next_same == NULL)
        goto out;
    first = malloc((nwords + 1) * sizeof *first);
    if (first == NULL)
        goto out;
    for (size_t k = 0; k < nwords; k++)
        first[k] = SIZE_MAX;
    for (size_t i = n; i-- > 0;) {
        next_same[i] = first[w->fd.t[i].word];
        first[w->fd.t[i].word] = i;
    }
    for (size_t k = 0; k < nc0; k++) {
        const struct cand *c = &w->c[k];
        size_t len = c->b - c->a;
        if (c->weak)
            continue;
        for (int pass = 0; pass < 2; pass++) {
            size_t a0 = c->a, l = len;
            if (pass == 1) {
                /* a person's surname alone */
                if (c->type != 0 || len < 2 || !capword(w, c->b - 1))
                    break;
                a0 = c->b - 1;
                l = 1;
            }
            if (l == 1) {
                const struct nerfeat_token *t = &w->fd.t[a0];
                if (t->wcase == GAZ_CASE_LOWER || t->wcase == GAZ_CASE_MIXED ||
                    (t->gaz & (GAZ_TIME | GAZ_STOP | GAZ_TITLE | GAZ_ORGCUE)) ||
                    utf8_count(w->text + w->toks.tokens[a0].byte_start,
                               w->toks.tokens[a0].byte_end - w->toks.tokens[a0].byte_start) < 2)
                    continue;
            }
            for (size_t i = first[w->fd.t[a0].word]; i != SIZE_MAX; i = next_same[i]) {
                int match = i + l <= n;
                /* same word: same entry of the document's word statistics */
                for (size_t j = 0; j < l && match; j++)
                    match = !w->covered[i + j] && w->fd.t[i + j].word == w->fd.t[a0 + j].word &&
                            (capword(w, i + j) || !capword(w, a0 + j)) &&
                            (j == 0 || !hard_break(w, i + j));
                if (!match || !capword(w, i))
                    continue;
                if (i + l < n && capword(w, i + l) &&
                    !(w->toks.tokens[i + l].flags & TOKEN_SENT_START))
                    continue; /* part of a longer name */
                if (i > 0 && capword(w, i - 1) && !(w->toks.tokens[i].flags & TOKEN_SENT_START))
                    continue;
                if (add_cand(w, i, i + l, c->type) != 0)
                    goto out;
                w->c[w->nc - 1].set = k; /* joins the source's set */
                c = &w->c[k];            /* add_cand may have moved the array */
            }
        }
    }
    rc = 0;
out:
    free(next_same);
    free(first);
    return rc;
}

/* strcmp of two candidates' key forms (the prefixes settle most). */
static int keyform_cmp(const struct cand *a, const struct cand *b)
{
    if (a->prefix != b->prefix)
        return a->prefix < b->prefix ? -1 : 1;
    return strcmp(a->keyform, b->keyform);
}

static int cmp_by_keyform(const void *x, const void *y, void *arg)
{
    const struct cand *c = arg;
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    int r = keyform_cmp(&c[a], &c[b]);
    return r ? r : a < b ? -1 : a > b ? 1 : 0;
}

/* Compares the last (which == 0) or first (which == 1) word of candidate k's key form with
 * word[0..wl) (the sign of strcmp's answer, the shorter first on a common prefix). */
static int word_cmpn(const struct cand *k, int which, const char *word, size_t wl)
{
    const char *kw = which == 0 ? k->keyform + k->last_off : k->keyform;
    size_t kl = which == 0 ? k->klen - k->last_off : k->first_len;
    int r = memcmp(kw, word, kl < wl ? kl : wl);
    return r ? r : kl < wl ? -1 : kl > wl ? 1 : 0;
}

/* Orders candidates by a word of their key forms, the word of y cut at 127 bytes (as it has
 * always been: it was copied into a buffer of 128), then by index. */
static int cmp_words(const void *x, const void *y, void *arg, int which)
{
    const struct cand *c = arg;
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    const struct cand *kb = &c[b];
    const char *wb = which == 0 ? kb->keyform + kb->last_off : kb->keyform;
    size_t wbl = which == 0 ? kb->klen - kb->last_off : kb->first_len;
    if (wbl > 127)
        wbl = 127;
    int r = word_cmpn(&c[a], which, wb, wbl);
    return r ? r : a < b ? -1 : a > b ? 1 : 0;
}

static int cmp_by_last_word(const void *x, const void *y, void *arg)
{
    return cmp_words(x, y, arg, 0);
}

static int cmp_by_first_word(const void *x, const void *y, void *arg)
{
    return cmp_words(x, y, arg, 1);
}

/* Whether a sports result, table or fixture surrounds tokens [a, b): a score or "at", "v"
 * next to it ("TEXAS 75 58", "MINNESOTA AT DETROIT", "Atlanta 6 FLORIDA 5"), where a place's
 * name is its team's. */
static int fixture_or_score(const struct work *w, size_t a, size_t b)
{
    static const char *const at[] = {"at", "v", "vs", "v.", "vs.", NULL};
    return (b < w->toks.n && ((w->toks.tokens[b].flags & TOKEN_DIGIT) || in_list(w, b, at))) ||
           (a > 0 && ((w->toks.tokens[a - 1].flags & TOKEN_DIGIT) || in_list(w, a - 1, at)));
}

static int coreference(struct work *w, const size_t *links, size_t nlinks)
{
    struct cand *c;
    size_t nc;

    if (propagate(w) != 0 || set_keyforms(w) != 0)
        return -1;
    if (w->nc == 0)
        return 0;
    /* sorting moves candidates: re-link each to its set's root by start token (unique, as
     * candidates never overlap) */
    size_t *by_start = malloc((w->toks.n + w->nc + 1) * sizeof *by_start);
    if (by_start == NULL)
        return -1;
    for (size_t k = 0; k < w->nc; k++)
        by_start[k] = w->c[find(w->c, k)].a;
    for (size_t k = 0; k < w->nc; k++)
        w->c[k].set = by_start[k];
    qsort(w->c, w->nc, sizeof *w->c, cmp_cand);
    for (size_t k = 0; k < w->nc; k++)
        by_start[w->c[k].a] = k;
    for (size_t k = 0; k < w->nc; k++)
        w->c[k].set = by_start[w->c[k].set];
    for (size_t k = 0; k < nlinks; k++)
        unite(w->c, by_start[links[2 * k]], by_start[links[2 * k + 1]]);
    free(by_start);
    c = w->c;
    nc = w->nc;
    /* a listed organisation's variant is that organisation ("Asean", "Nato"); place names
     * are not forced, since teams and firms carry city names ("New York beat Boston") */
    for (size_t i = 0; i < nc; i++)
        if (c[i].keyform[0] && c[i].type != ENTITY_ORGANIZATION &&
            !gazetteer_canonical(w->ex->gaz, (enum gazetteer_kind)c[i].type, c[i].keyform) &&
            gazetteer_canonical(w->ex->gaz, GAZ_KIND_ORGANIZATION, c[i].keyform))
            c[i].type = ENTITY_ORGANIZATION;
    /* a listed place's name or variant ("Soviet Union", "USSR", "Conn.") that the model
     * tagged as an organisation is the place: governments act under their country's name,
     * and a body's own name is longer ("Soviet Union's Foreign Ministry"); in a score or a
     * fixture the name is the team's ("TEXAS 75 58", "MINNESOTA AT DETROIT") */
    for (size_t i = 0; i < nc; i++)
        if (c[i].type == ENTITY_ORGANIZATION && c[i].keyform[0] &&
            !fixture_or_score(w, c[i].a, c[i].b) &&
            gazetteer_canonical(w->ex->gaz, GAZ_KIND_LOCATION, c[i].keyform) &&
            !gazetteer_canonical(w->ex->gaz, GAZ_KIND_ORGANIZATION, c[i].keyform))
            c[i].type = ENTITY_LOCATION;
    /* candidates grouped by key form (sorted indices), so that large texts stay linear-ish */
    size_t *byk = malloc(nc * sizeof *byk), *per = malloc(nc * sizeof *per);
    size_t nper = 0;
    if (byk == NULL || per == NULL) {
        free(byk);
        free(per);
        return -1;
    }
    for (size_t i = 0; i < nc; i++)
        byk[i] = i;
    qsort_r(byk, nc, sizeof *byk, cmp_by_keyform, c);
    /* the same name is one entity, of its most frequent type (ties: the earliest mention's):
     * readers expect one "Monsanto" per article, and "Asean" joins "ASEAN". This costs a
     * little on sports tables where a city and its team share a name (~0.4 F1 on CoNLL++). */
    for (size_t g = 0; g < nc;) {
        size_t e = g + 1;
        int votes[3] = {0, 0, 0}, top = -1;
        size_t first[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
        while (e < nc && keyform_cmp(&c[byk[g]], &c[byk[e]]) == 0)
            e++;
        if (c[byk[g]].keyform[0]) {
            for (size_t k = g; k < e; k++) {
                int t = c[byk[k]].type;
                if (votes[t]++ == 0)
                    first[t] = byk[k]; /* indices ascend within a group */
            }
            for (int t = 0; t < 3; t++)
                if (votes[t] > 0 && (top < 0 || votes[t] > votes[top] ||
                                     (votes[t] == votes[top] && first[t] < first[top])))
                    top = t;
            for (size_t k = g; k < e; k++) {
                c[byk[k]].type = top;
                unite(c, byk[g], byk[k]);
            }
        }
        g = e;
    }
    if (org_evidence(w) != 0) {
        free(byk);
        free(per);
        return -1;
    }
    /* a lone name joins the nearest earlier (else later) person whose surname it is, else a
     * person whose first word it is ("Xi" for "Xi Jinping"). All mentions of a lone name are
     * one set, so the set joins one person only, chosen by its first mention: "Trump" between
     * "Donald Trump" and "Lara Trump" must not make them one. A set that already holds a
     * full name (its surname propagated from it) stays with that person. */
    for (size_t i = 0; i < nc; i++)
        if (c[i].type == 0 && strchr(c[i].keyform, ' ') != NULL)
            per[nper++] = i;
    /* a word and the surname of a person of the article is a person too (the family:
     * "Lara Trump" makes "Donald Trump" one, whatever the model said), unless the word is
     * a place or an organisation's head ("Dow Jones") */
    if (nper > 0) {
        size_t np0 = nper;
        qsort_r(per, nper, sizeof *per, cmp_by_last_word, c);
        for (size_t i = 0; i < nc; i++) {
            if (c[i].type == 0 || c[i].b - c[i].a != 2 ||
                (w->fd.t[c[i].a].gaz &
                 (GAZ_ORGCUE | GAZ_LOCCUE | GAZ_PLACE_MASK | GAZ_ORG | GAZ_TITLE)) ||
                !capword(w, c[i].a) || !capword(w, c[i].b - 1))
                continue;
            size_t lo = 0, hi = np0, wl = c[i].klen - c[i].last_off;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (word_cmpn(&c[per[mid]], 0, c[i].keyform + c[i].last_off, wl) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < np0 && word_cmpn(&c[per[lo]], 0, c[i].keyform + c[i].last_off, wl) == 0) {
                c[i].type = 0;
                per[nper++] = i;
            }
        }
    }
    uint8_t *joined = calloc(nc, 1); /* by set root: the name already found its person */
    size_t *root = malloc(nc * sizeof *root);
    if (joined == NULL || root == NULL) {
        free(joined);
        free(root);
        free(byk);
        free(per);
        return -1;
    }
    for (size_t k = 0; k < nper; k++)
        joined[find(c, per[k])] = 1;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nc; i++)
            root[i] = find(c, i);
        qsort_r(per, nper, sizeof *per, pass == 0 ? cmp_by_last_word : cmp_by_first_word, c);
        for (size_t i = 0; i < nc; i++) {
            if (c[i].b - c[i].a != 1 || strchr(c[i].keyform, ' ') != NULL ||
                !c[i].keyform[0] || joined[root[i]] || c[i].org == ORG_STRONG)
                continue;
            size_t lo = 0, hi = nper, best = SIZE_MAX;
            while (lo < hi) { /* first entry whose word is >= the name */
                size_t mid = (lo + hi) / 2;
                if (word_cmpn(&c[per[mid]], pass, c[i].keyform, c[i].klen) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (size_t k = lo;
                 k < nper && word_cmpn(&c[per[k]], pass, c[i].keyform, c[i].klen) == 0; k++) {
                size_t j = per[k];
                if (pass == 1) {
                    best = j; /* the earliest */
                    break;
                }
                if (best == SIZE_MAX || (j < i && (best > i || j > best)))
                    best = j;
            }
            if (best == SIZE_MAX)
                continue;
            joined[root[i]] = 1;
            joined[find(c, best)] = 1;
            unite(c, i, best);
        }
    }
    free(joined);
    free(root);
    free(byk);
    free(per);
    /* an acronym joins a longer name with the same initials */
    for (size_t i = 0; i < nc; i++) {
        char acr[16];
        size_t n;
        if (c[i].b - c[i].a != 1 || c[i].type == 0 ||
            (n = acronym_letters(w, c[i].a, acr, sizeof acr)) == 0)
            continue;
        /* a listed variant ("US", "EC") is what the list says, not "Universal Studio" nor
         * "Engelhard Corp"; an acronym that starts a name of its own ("FMC Corp") is that; a
         * ticker ("<SPC>") is some company's, not the long name's with its initials */
        /* the first long name it may stand for; none when one is already in its set
         * ("European Community (EC)") or two differ ("EC" with "European Community" and
         * "European Commission", "ICO" with the coffee and the cocoa organisations) */
        size_t match = SIZE_MAX;
        int ambiguous = 0;
        for (size_t j = 0; j < nc && !ambiguous; j++) {
            if (j == i || c[j].b - c[j].a < 2 || c[j].type == 0 ||
                !initials_match(w, c[j].a, c[j].b, acr, n))
                continue;
            if (find(c, j) == find(c, i))
                ambiguous = 1;
            else if (match == SIZE_MAX)
                match = j;
            else
                ambiguous = find(c, match) != find(c, j) && keyform_cmp(&c[match], &c[j]) != 0;
        }
        if (match == SIZE_MAX || ambiguous)
            continue;
        int own = c[i].a > 0 && punct(w, c[i].a - 1, '<');
        for (int k = 0; k < 3 && !own; k++)
            own = gazetteer_canonical(w->ex->gaz, (enum gazetteer_kind)k, c[i].keyform) != NULL;
        for (size_t m = 0; m < nc && !own; m++)
            own = c[m].b - c[m].a >= 2 && w->fd.t[c[m].a].word == w->fd.t[c[i].a].word;
        if (!own)
            unite(c, i, match);
    }
    return 0;
}

/* ---- 5. entities ---- */

/* Display text of tokens [a, b): the original text with white space runs as single spaces,
 * headline words in their restored case. Returns a new string or NULL. */
static size_t display_room(const struct work *w, size_t a, size_t b)
{
    return (w->toks.tokens[b - 1].byte_end - w->toks.tokens[a].byte_start) * 2 + 8;
}

/* display() into out, which has display_room() bytes. */
static void display_buf(const struct work *w, size_t a, size_t b, char *out)
{
    size_t o = 0;
    for (size_t i = a; i < b; i++) {
        const struct token *t = &w->toks.tokens[i];
        if (i > a && t->byte_start > w->toks.tokens[i - 1].byte_end)
            out[o++] = ' ';
        const char *s = w->text + t->byte_start;
        size_t n = t->byte_end - t->byte_start;
        int tc = w->fd.t[i].tcase, wc = w->fd.t[i].wcase;
        /* a name in capitals that news usually writes in mixed case ("ANCHORAGE, Alaska") */
        if (!(t->flags & TOKEN_HEADLINE) && tc == NERFEAT_UPPER && t->cp_end - t->cp_start >= 4 &&
            (wc == GAZ_CASE_CAP || wc == GAZ_CASE_ALWAYS_CAP))
            tc = NERFEAT_CAP;
        else if (!(t->flags & TOKEN_HEADLINE))
            tc = NERFEAT_NONE;
        if (tc == NERFEAT_CAP || tc == NERFEAT_LOWER) {
            size_t pos = 0;
            int first = tc == NERFEAT_CAP;
            while (pos < n) {
                uint32_t cp;
                char buf[4];
                if (utf8_next(s, n, &pos, &cp) <= 0)
                    break;
                if (first && tokenize_is_letter(cp)) {
                    first = 0;
                } else if (tokenize_is_letter(cp)) {
                    cp = uc_tolower(cp);
                    /* after a hyphen or apostrophe, a new word starts ("Al-Qaeda") */
                } else if (cp == '-' && tc == NERFEAT_CAP) {
                    first = 1;
                }
                size_t k = utf8_put(cp, buf);
                memcpy(out + o, buf, k);
                o += k;
            }
        } else {
            memcpy(out + o, s, n);
            o += n;
        }
    }
    out[o] = '\0';
}

static char *display(const struct work *w, size_t a, size_t b)
{
    char *out = malloc(display_room(w, a, b));
    if (out != NULL)
        display_buf(w, a, b, out);
    return out;
}

/* Key for a name of a type: key form, canonical variant, personal-name skeleton. */
static char *make_key(const struct gazetteer *g, int type, const char *name, size_t len,
                      const char **canonical)
{
    char stack[512], *kf, *res = NULL, *sk = NULL;
    const char *prefix = entity_type_name((enum entity_type)type);
    const char *body;
    if (canonical)
        *canonical = NULL;
    kf = len * 3 + 8 <= sizeof stack ? stack : NULL;
    if (kf != NULL ? nameform_key_buf(name, len, kf, sizeof stack) == (size_t)-1
                   : (kf = nameform_key(name, len)) == NULL)
        return NULL;
    body = kf;
    /* an organisation whose name ends in "'s" ("Moody's") is not the one without it */
    if (type != ENTITY_PERSON && len >= 3 && (name[len - 1] == 's' || name[len - 1] == 'S') &&
        (name[len - 2] == '\'' ||
         (len >= 5 && memcmp(name + len - 4, "\xe2\x80\x99", 3) == 0))) {
        size_t kl = strlen(kf);
        char *k2 = malloc(kl + 2);
        if (k2 == NULL)
            goto out;
        memcpy(k2, kf, kl);
        memcpy(k2 + kl, "s", 2);
        if (kf != stack)
            free(kf);
        kf = k2;
        body = kf;
    }
    if (type == ENTITY_PERSON && g != NULL) {
        /* "Mr Rubio", "President Joe Biden" -> "rubio", "joe biden" */
        for (;;) {
            const char *sp = strchr(body, ' ');
            if (sp == NULL)
                break;
            size_t wl = (size_t)(sp - body);
            char tmp[64];
            if (wl >= sizeof tmp - 1)
                break;
            memcpy(tmp, body, wl);
            tmp[wl] = '\0';
            if (!(gazetteer_phrase(g, tmp, wl) & GAZ_TITLE) &&
                !(wl < sizeof tmp - 2 && (tmp[wl] = '.', tmp[wl + 1] = '\0',
                                          gazetteer_phrase(g, tmp, wl + 1) & GAZ_TITLE)))
                break;
            body = sp + 1;
        }
    } else if (g != NULL) {
        const char *canon = gazetteer_canonical(g, (enum gazetteer_kind)type, kf);
        if (canon != NULL) {
            char *k2 = nameform_key(canon, strlen(canon));
            if (k2 == NULL)
                goto out;
            if (kf != stack)
                free(kf);
            kf = k2;
            body = kf;
            if (canonical)
                *canonical = canon;
        }
    }
    if (body[0] == '\0')
        goto out;
    if (type == ENTITY_PERSON) {
        sk = nameform_person_skeleton(body);
        if (sk == NULL)
            goto out;
        body = sk;
    }
    res = malloc(strlen(prefix) + strlen(body) + 2);
    if (res != NULL) {
        strcpy(res, prefix);
        strcat(res, ":");
        strcat(res, body);
    }
out:
    if (kf != stack)
        free(kf);
    free(sk);
    return res;
}

char *entity_key_for(enum entity_type type, const char *name, size_t len)
{
    if ((int)type < ENTITY_PERSON || type > ENTITY_LOCATION || name == NULL)
        return NULL;
    return make_key(gazetteer_shared(NULL), (int)type, name, len, NULL);
}

static void free_entity(struct entity *e)
{
    free(e->name);
    free(e->key);
    for (size_t k = 0; k < e->naliases; k++)
        free(e->aliases[k]);
    free(e->aliases);
}

void entity_result_free(struct entity_result *res)
{
    if (res == NULL)
        return;
    for (size_t i = 0; i < res->nentities; i++)
        free_entity(&res->entities[i]);
    free(res->entities);
    free(res->mentions);
    memset(res, 0, sizeof *res);
}

/* Adds s to e's aliases unless it is its name or one already, taking ownership of s (freed
 * when not kept, and on failure). Returns 0, or -1 on allocation failure. */
static int add_alias_new(struct entity *e, char *s)
{
    int keep = strcmp(e->name, s) != 0;
    for (size_t k = 0; k < e->naliases && keep; k++)
        keep = strcmp(e->aliases[k], s) != 0;
    if (!keep) {
        free(s);
        return 0;
    }
    char **p = realloc(e->aliases, (e->naliases + 1) * sizeof *p);
    if (p == NULL) {
        free(s);
        return -1;
    }
    e->aliases = p;
    p[e->naliases++] = s;
    return 0;
}

/* The same with a copy of s. */
static int add_alias(struct entity *e, const char *s)
{
    int keep = strcmp(e->name, s) != 0;
    for (size_t k = 0; k < e->naliases && keep; k++)
        keep = strcmp(e->aliases[k], s) != 0;
    if (!keep)
        return 0;
    char *c = strdup(s);
    return c != NULL ? add_alias_new(e, c) : -1;
}

/* Builds the result from the candidate sets. */
static int build_result(struct work *w, struct entity_result *out)
{
    size_t nc = w->nc;
    size_t *ent_of = malloc((nc + 1) * 3 * sizeof *ent_of);
    size_t *members = ent_of + nc + 1;
    size_t *next = members + nc + 1; /* the candidates of each set, ascending, from ent_of */
    int rc = -1;

    if (ent_of == NULL)
        goto out;
    for (size_t i = 0; i < nc; i++)
        ent_of[i] = SIZE_MAX; /* first, as heads of the lists in next */
    for (size_t j = nc; j-- > 0;) {
        size_t r = find(w->c, j);
        next[j] = ent_of[r];
        ent_of[r] = j;
    }
    out->mentions = calloc(nc + 1, sizeof *out->mentions);
    out->entities = calloc(nc + 1, sizeof *out->entities);
    if (out->mentions == NULL || out->entities == NULL)
        goto out;
    for (size_t i = 0; i < nc; i++) {
        size_t root = find(w->c, i), nm = 0, best = SIZE_MAX;
        int votes[3] = {0, 0, 0}, strong = 0;
        if (root != i)
            continue;
        /* the set's candidates from i on (a set whose root moved when the candidates were
         * sorted may hold earlier ones: they are left out, as they always were) */
        for (size_t j = ent_of[root]; j != SIZE_MAX; j = next[j])
            if (j >= i)
                members[nm++] = j;
        ent_of[root] = SIZE_MAX;
        for (size_t k = 0; k < nm; k++) {
            const struct cand *c = &w->c[members[k]];
            votes[c->type] += (int)(c->b - c->a) + 1;
            strong |= !c->weak;
        }
        if (!strong)
            continue; /* a weekday, month or function word alone */
        int type = 0, full_name = 0;
        for (int t = 1; t < 3; t++)
            if (votes[t] > votes[type])
                type = t;
        /* a set holding a person's full name is that person ("XI" joined "Xi Jinping") */
        for (size_t k = 0; k < nm; k++) {
            const struct cand *c = &w->c[members[k]];
            full_name |= c->type == 0 && c->b - c->a >= 2 && strchr(c->keyform, ' ') != NULL;
        }
        if (full_name)
            type = 0;
        if (type == 0) {
            int title = 0;
            for (size_t k = 0; k < nm && !title; k++)
                title = w->c[members[k]].title;
            if (title)
                continue; /* a work's title or an award, not a person */
        }
        /* a person-shaped company, club or party (org_evidence), unless a title says
         * otherwise ("Mr Chrysler") */
        if (type == 0) {
            int ev = 0, titled = 0;
            for (size_t k = 0; k < nm; k++) {
                const struct cand *c = &w->c[members[k]];
                ev |= c->org;
                titled |= c->a > 0 && (w->fd.t[c->a - 1].gaz & GAZ_TITLE);
            }
            if (!titled && ((ev & ORG_STRONG) || ((ev & ORG_WEAK) && !full_name)))
                type = ENTITY_ORGANIZATION;
            else if (!titled && ev == ORG_PLACE && !full_name)
                type = ENTITY_LOCATION;
        }
        /* display name: the longest mention outside headlines (persons: most words) */
        for (size_t k = 0; k < nm; k++) {
            const struct cand *c = &w->c[members[k]], *b;
            if (best == SIZE_MAX) {
                best = members[k];
                continue;
            }
            b = &w->c[best];
            int ch = (w->toks.tokens[c->a].flags & TOKEN_HEADLINE) != 0;
            int bh = (w->toks.tokens[b->a].flags & TOKEN_HEADLINE) != 0;
            size_t cl = c->b - c->a, bl = b->b - b->a;
            if (ch != bh ? !ch : cl > bl)
                best = members[k];
        }
        struct entity *e = &out->entities[out->nentities];
        e->type = (enum entity_type)type;
        e->name = display(w, w->c[best].a, w->c[best].b);
        if (e->name == NULL)
            goto out;
        /* a listed variant names the entity ("US" -> "United States") */
        const char *canon = NULL;
        for (size_t k = 0; k < nm && canon == NULL && type != 0; k++) {
            const struct cand *c = &w->c[members[k]];
            canon = gazetteer_canonical(w->ex->gaz, (enum gazetteer_kind)type, c->keyform);
        }
        if (canon != NULL) {
            char *nm2 = strdup(canon);
            if (nm2 == NULL)
                goto out;
            free(e->name);
            e->name = nm2;
        }
        e->key = make_key(w->ex->gaz, type, e->name, strlen(e->name), NULL);
        if (e->key == NULL) {
            /* nothing left of the name once folded (combining marks only): no
             * entity, and its mentions stay unattached (found by fuzzing) */
            free_entity(e);
            memset(e, 0, sizeof *e);
            continue;
        }
        /* variants with one key ("Sergei"/"Sergey Lavrov") are one entity of the article */
        size_t target = out->nentities;
        for (size_t k = 0; k < out->nentities; k++)
            if (strcmp(out->entities[k].key, e->key) == 0)
                target = k;
        if (target != out->nentities) {
            struct entity *t = &out->entities[target];
            if (add_alias(t, e->name) != 0)
                goto out;
            for (size_t k = 0; k < e->naliases; k++)
                if (add_alias(t, e->aliases[k]) != 0)
                    goto out;
            free_entity(e);
            memset(e, 0, sizeof *e);
            e = t;
        }
        for (size_t k = 0; k < nm; k++) {
            const struct cand *c = &w->c[members[k]];
            char stack[256], *s = stack;
            if (display_room(w, c->a, c->b) > sizeof stack) {
                s = display(w, c->a, c->b);
                if (s == NULL || add_alias_new(e, s) != 0)
                    goto out;
            } else {
                display_buf(w, c->a, c->b, s); /* copied only when it is a new alias */
                if (add_alias(e, s) != 0)
                    goto out;
            }
            ent_of[members[k]] = target;
        }
        if (target == out->nentities)
            out->nentities++;
    }
    for (size_t i = 0; i < nc; i++) {
        const struct cand *c = &w->c[i];
        size_t e = ent_of[find(w->c, i)];
        if (e == SIZE_MAX)
            continue;
        struct entity_mention *m = &out->mentions[out->nmentions++];
        m->start = w->toks.tokens[c->a].cp_start;
        m->end = w->toks.tokens[c->b - 1].cp_end;
        m->byte_start = w->toks.tokens[c->a].byte_start;
        m->byte_end = w->toks.tokens[c->b - 1].byte_end;
        m->entity = e;
    }
    rc = 0;
out:
    /* on failure, the entity being built is not counted yet: free it here */
    if (rc != 0 && out->entities != NULL)
        free_entity(&out->entities[out->nentities]);
    free(ent_of);
    return rc;
}

int entity_extract(const struct entity_extractor *ex, const char *body, size_t len,
                   struct entity_result *out)
{
    struct work w = {0};
    size_t *links = NULL, nlinks = 0;
    int rc = -1;

    memset(out, 0, sizeof *out);
    w.ex = ex;
    w.text = body;
    if (tokenize_text(body, len, &w.toks) != 0)
        goto out;
    if (nerfeat_doc_build(&w.fd, ex->gaz, body, w.toks.tokens, w.toks.n) != 0)
        goto out;
    w.tags = calloc(w.toks.n + 1, 1);
    w.covered = calloc(w.toks.n + 1, 1);
    if (w.tags == NULL || w.covered == NULL)
        goto out;
    set_wrapped(&w);
    if (run_model(&w) != 0 || spans_from_tags(&w) != 0 || rule_titles(&w) != 0 ||
        rule_names(&w) != 0 || rule_parentheses(&w, &links, &nlinks) != 0 ||
        rule_joined_names(&w) != 0 || rule_not_names(&w, links, &nlinks) != 0)
        goto out;
    if (coreference(&w, links, nlinks) != 0 || build_result(&w, out) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        entity_result_free(out);
    free(w.keyforms);
    free(w.c);
    free(links);
    free(w.tags);
    free(w.covered);
    nerfeat_doc_free(&w.fd);
    tokenize_list_free(&w.toks);
    return rc;
}
