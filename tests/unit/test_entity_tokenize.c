/* Unit tests for the entity extractor's building blocks: analysis/tokenize (token table,
 * offsets, sentence starts, headlines), analysis/nameform (folding, key forms, skeletons) and
 * analysis/ner_model (the weights file format round trip). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/nameform.h"
#include "analysis/ner_model.h"
#include "analysis/tokenize.h"

/* Tokens of text joined by '|'. */
static void joined(const char *text, char *out, size_t cap)
{
    struct token_list l = {0};
    size_t w = 0;
    cr_assert_eq(tokenize_text(text, strlen(text), &l), 0);
    out[0] = '\0';
    for (size_t i = 0; i < l.n; i++) {
        size_t n = l.tokens[i].byte_end - l.tokens[i].byte_start;
        cr_assert_lt(w + n + 2, cap);
        if (i > 0)
            out[w++] = '|';
        memcpy(out + w, text + l.tokens[i].byte_start, n);
        w += n;
        out[w] = '\0';
    }
    tokenize_list_free(&l);
}

Test(entity_tokenize, token_table)
{
    static const struct {
        const char *text, *tokens;
    } cases[] = {
        {"Russia's envoy", "Russia|'s|envoy"},
        {"Russia\xe2\x80\x99s envoy", "Russia|\xe2\x80\x99s|envoy"},
        {"Mr. Rubio said", "Mr.|Rubio|said"},
        {"the U.S. and U.K.", "the|U.S.|and|U.K."},
        {"didn't go", "did|n't|go"},
        {"O'Neill-led group", "O'Neill-led|group"},
        {"Kuala Lumpur, 1996-08-22: 1,000.5 (ASEAN)",
         "Kuala|Lumpur|,|1996-08-22|:|1,000.5|(|ASEAN|)"},
        {"AT&T and S&P...", "AT&T|and|S&P|..."},
        {"they're here", "they|'re|here"},
        {"Zo\xc3\xab \xe2\x80\x94 Z\xc3\xbcrich", "Zo\xc3\xab|\xe2\x80\x94|Z\xc3\xbcrich"},
        {"", ""},
    };
    char buf[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        joined(cases[i].text, buf, sizeof buf);
        cr_expect_str_eq(buf, cases[i].tokens, "case %zu", i);
    }
}

Test(entity_tokenize, offsets_and_flags)
{
    const char *t = "\xc3\x89lys\xc3\xa9"
                    "e said. MOSCOW TALKS END\n\nMr. Putin left.";
    struct token_list l = {0};
    cr_assert_eq(tokenize_text(t, strlen(t), &l), 0);
    cr_assert_eq(l.n, 10);
    /* "Élysée": 6 code points, 8 bytes */
    cr_expect_eq(l.tokens[0].cp_start, 0);
    cr_expect_eq(l.tokens[0].cp_end, 6);
    cr_expect_eq(l.tokens[0].byte_end, 8);
    cr_expect(l.tokens[0].flags & TOKEN_CAP);
    cr_expect(l.tokens[0].flags & TOKEN_NONASCII);
    cr_expect_eq(l.tokens[1].cp_start, 7); /* "said" */
    /* "MOSCOW TALKS END" is a sentence in capitals: a headline */
    cr_expect(l.tokens[3].flags & TOKEN_SENT_START);
    cr_expect(l.tokens[3].flags & TOKEN_HEADLINE);
    cr_expect(l.tokens[5].flags & TOKEN_HEADLINE);
    /* a blank line starts a paragraph; "Mr." keeps its period and ends no sentence */
    cr_expect(l.tokens[6].flags & TOKEN_PARA_START);
    cr_expect(l.tokens[6].flags & TOKEN_ABBREV);
    cr_expect_not(l.tokens[7].flags & TOKEN_SENT_START);
    cr_expect_not(l.tokens[7].flags & TOKEN_HEADLINE);
    tokenize_list_free(&l);
}

Test(entity_tokenize, name_forms)
{
    char buf[64];
    nameform_fold("Z\xc3\xbcrich", 7, buf, sizeof buf);
    cr_expect_str_eq(buf, "zurich");
    nameform_fold("Stra\xc3\x9f"
                  "e",
                  7, buf, sizeof buf);
    cr_expect_str_eq(buf, "strasse");
    nameform_fold("ABC", 3, buf, 3); /* cut to fit, NUL-terminated */
    cr_expect_str_eq(buf, "ab");

    static const struct {
        const char *in, *key;
    } keys[] = {
        {"U.S.", "us"},
        {"The U.S.'s", "us"},
        {"Al-Qaeda", "al qaeda"},
        {"  Marco   Rubio ", "marco rubio"},
        {"C\xc3\xb4te d'Ivoire", "cote divoire"},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char *k = nameform_key(keys[i].in, strlen(keys[i].in));
        cr_assert_not_null(k);
        cr_expect_str_eq(k, keys[i].key, "%s", keys[i].in);
        free(k);
    }

    static const struct {
        const char *a, *b;
    } same[] = {
        {"sergei lavrov", "sergey lavrov"},
        {"dmitri peskov", "dmitry peskov"},
        {"yuri", "yuriy"},
        {"alexander", "aleksandr"},
        {"nikolai", "nikolay"},
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        char *a = nameform_person_skeleton(same[i].a), *b = nameform_person_skeleton(same[i].b);
        cr_assert(a && b);
        cr_expect_str_eq(a, b, "%s / %s", same[i].a, same[i].b);
        free(a);
        free(b);
    }
}

Test(entity_tokenize, model_round_trip)
{
    uint32_t keys[2] = {7, 9};
    float w[2 * NER_NTAGS] = {0}, trans[(NER_NTAGS + 1) * NER_NTAGS] = {0};
    unsigned char *buf;
    size_t len;
    struct nermodel *m;
    struct error err = {0};
    uint8_t tags[2];

    /* feature 7 says B-PER, feature 9 says I-PER; the other weights are zero */
    w[NER_B_PER] = 4;
    w[NER_NTAGS + NER_I_PER] = 4;
    cr_assert_eq(nermodel_serialize(keys, w, 2, trans, &buf, &len), 0);
    cr_assert_eq(nermodel_load(buf, len, &m, &err), 0, "%s", err.msg);
    cr_expect_eq(nermodel_size(m), 2);
    uint64_t feats[2] = {7, 9};
    size_t off[3] = {0, 1, 2};
    cr_assert_eq(nermodel_decode(m, feats, off, 2, tags), 0);
    cr_expect_eq(tags[0], NER_B_PER);
    cr_expect_eq(tags[1], NER_I_PER);
    /* I- never follows O or starts a sentence */
    uint64_t only_i[2] = {9, 9};
    cr_assert_eq(nermodel_decode(m, only_i, off, 2, tags), 0);
    cr_expect_neq(tags[0], NER_I_PER);
    nermodel_free(m);
    cr_expect_eq(nermodel_load(buf, len - 1, &m, &err), -1);
    cr_expect_eq(nermodel_load((const unsigned char *)"JUNKJUNKJUNKJUNKJUNK", 20, &m, &err), -1);
    free(buf);
}
