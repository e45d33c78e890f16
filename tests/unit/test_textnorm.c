/* Unit tests for analysis/textnorm: the normalisation table (quotes, dashes, honorifics,
 * "per cent", diacritics, case, digits, scripts) and the word offsets. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/textnorm.h"

struct norm_case {
    const char *in;
    const char *out;
};

static const struct norm_case cases[] = {
    {"", ""},
    {"   \n\t  ", ""},
    {"Hello,   World!", "hello world"},
    {"UPPER lower MiXeD", "upper lower mixed"},
    /* quotes, apostrophes and dashes of every kind */
    {"\xe2\x80\x9cquoted\xe2\x80\x9d \"quoted\" \xc2\xabquoted\xc2\xbb", "quoted quoted quoted"},
    {"it\xe2\x80\x99s it's it`s it\xca\xbcs", "its its its its"},
    {"\xe2\x80\x98single\xe2\x80\x99 'single'", "single single"},
    {"the students\xe2\x80\x99 union", "the students union"},
    {"high-speed high\xe2\x80\x93speed high\xe2\x80\x94speed high speed",
     "high speed high speed high speed high speed"},
    {"a \xe2\x80\x94 b -- c \xe2\x80\x95 d", "a b c d"},
    /* punctuation dropped, whitespace collapsed */
    {"Yes; no: maybe? (Perhaps.) [Done] {x} /y/ #z @w", "yes no maybe perhaps done x y z w"},
    {"line\r\nbreak\n\n\nparagraph", "line break paragraph"},
    {"non\xc2\xa0"
     "breaking\xe2\x80\x83spaces",
     "non breaking spaces"},
    /* honorifics, with or without the dot, any case */
    {"Mr. Smith and Mr Jones", "smith and jones"},
    {"Mrs. Brown, Ms Green, Dr. Who, Prof. Plum, Sir Elton", "brown green who plum elton"},
    {"MR SMITH", "smith"},
    {"Mister Smith; Madam Brown", "mister smith madam brown"},
    /* percent spellings */
    {"rose 5 per cent", "rose 5 percent"},
    {"rose 5 percent", "rose 5 percent"},
    {"rose 5%", "rose 5 percent"},
    {"rose 5 pct", "rose 5 percent"},
    {"rose 5 Per Cent.", "rose 5 percent"},
    {"per capita, a cent", "per capita a cent"},
    /* digits kept, separators split numbers */
    {"$1.13bn (\xc2\xa3"
     "600m) in 2004",
     "1 13bn 600m in 2004"},
    {"464,000 subscribers", "464 000 subscribers"},
    /* diacritics, compatibility forms, case folding */
    {"Caf\xc3\xa9 CAF\xc3\x89 cafe\xcc\x81", "cafe cafe cafe"},
    {"na\xc3\xafve co\xc3\xb6perate Z\xc3\xbcrich", "naive cooperate zurich"},
    {"\xc3\x86r\xc3\xb8 \xc5\x81\xc3\xb3"
     "d\xc5\xba",
     "aero lodz"},
    {"Stra\xc3\x9f"
     "e STRASSE",
     "strasse strasse"},
    {"\xef\xac\x81nance \xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3", "finance abc"},
    {"x\xc2\xb2", "x2"},
    {"\xce\xa3\xce\x8a\xce\xa3\xce\xa5\xce\xa6\xce\x9f\xce\xa3 "
     "\xcf\x83\xce\xb9\xcf\x83\xcf\x85\xcf\x86\xce\xbf\xcf\x82",
     "\xcf\x83\xce\xb9\xcf\x83\xcf\x85\xcf\x86\xce\xbf\xcf\x83 "
     "\xcf\x83\xce\xb9\xcf\x83\xcf\x85\xcf\x86\xce\xbf\xcf\x83"},
    {"\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0",
     "\xd0\xbc\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0"},
    /* soft hyphen vanishes, zero-width space splits */
    {"soft\xc2\xadhyphen zero\xe2\x80\x8bwidth", "softhyphen zero width"},
    /* ideographs and kana are words of their own */
    {"\xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xaf 2024", "\xe6\x9d\xb1 \xe4\xba\xac \xe3\x81\xaf 2024"},
};

Test(textnorm, table)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = 999;
        char *got = textnorm_string(cases[i].in, strlen(cases[i].in), &n);

        cr_assert_not_null(got);
        cr_expect_str_eq(got, cases[i].out, "case %zu: [%s] gave [%s], want [%s]", i, cases[i].in,
                         got, cases[i].out);
        cr_expect_eq(n, strlen(got), "case %zu length", i);
        free(got);
    }
}

Test(textnorm, word_offsets)
{
    struct textnorm_words w = TEXTNORM_WORDS_INIT;
    const char *in = "Mr. O\xe2\x80\x99"
                     "Brien paid 5 per cent \xe2\x80\x94 Caf\xc3\xa9!";
    const char *want[] = {"obrien", "paid", "5", "percent", "cafe"};

    cr_assert_eq(textnorm_split(in, strlen(in), &w), 0);
    cr_assert_eq(w.n, 5);
    cr_expect_str_eq(w.text, "obrien paid 5 percent cafe");
    for (size_t i = 0; i < w.n; i++) {
        cr_expect_eq(w.len[i], strlen(want[i]), "word %zu", i);
        cr_expect(memcmp(w.text + w.off[i], want[i], w.len[i]) == 0, "word %zu", i);
    }
    /* the same value is reused for the next text */
    cr_assert_eq(textnorm_split("Two words", 9, &w), 0);
    cr_expect_eq(w.n, 2);
    cr_expect_str_eq(w.text, "two words");
    cr_assert_eq(textnorm_split("", 0, &w), 0);
    cr_expect_eq(w.n, 0);
    cr_expect_str_eq(w.text, "");
    textnorm_words_free(&w);
    textnorm_words_free(&w); /* NULL-safe and idempotent */
}

Test(textnorm, long_text_grows_buffers)
{
    /* "%" expands to a longer word: the output may outgrow the input */
    size_t n = 20000;
    char *in = malloc(n + 1);
    struct textnorm_words w = TEXTNORM_WORDS_INIT;

    cr_assert_not_null(in);
    for (size_t i = 0; i < n; i++)
        in[i] = (i % 2) ? '%' : '7';
    in[n] = '\0';
    cr_assert_eq(textnorm_split(in, n, &w), 0);
    cr_expect_eq(w.n, n); /* "7 percent" ten thousand times */
    cr_expect_eq(w.text_len, (n / 2) * 1 + (n / 2) * 7 + (n - 1));
    cr_expect_eq(strlen(w.text), w.text_len);
    textnorm_words_free(&w);
    free(in);
}
