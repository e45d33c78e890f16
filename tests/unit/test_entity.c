/* Unit tests for analysis/entity: a table of sentences with the mentions (exact span, type,
 * merge key) they must and must not yield, plus keys, coreference and offsets. Uses only the
 * data embedded in the binary. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/entity.h"
#include "analysis/utf8.h"

static struct entity_extractor *ex;

static void setup(void)
{
    struct error err = {0};
    cr_assert_eq(entity_extractor_new(&ex, &err), 0, "extractor: %s", err.msg);
}

static void teardown(void)
{
    entity_extractor_free(ex);
    ex = NULL;
}

/* Index of the n-th (0-based) mention whose text is surface, or -1. */
static long find_mention(const struct entity_result *r, const char *text, const char *surface,
                         int nth)
{
    size_t n = strlen(surface);
    for (size_t i = 0; i < r->nmentions; i++) {
        const struct entity_mention *m = &r->mentions[i];
        if (m->byte_end - m->byte_start == n && memcmp(text + m->byte_start, surface, n) == 0 &&
            nth-- == 0)
            return (long)i;
    }
    return -1;
}

/* Whether some mention overlaps the first occurrence of word in text. */
static int word_in_mention(const struct entity_result *r, const char *text, const char *word)
{
    const char *p = strstr(text, word);
    size_t a, b;
    if (p == NULL)
        return 0;
    a = (size_t)(p - text);
    b = a + strlen(word);
    for (size_t i = 0; i < r->nmentions; i++)
        if (r->mentions[i].byte_start < b && r->mentions[i].byte_end > a)
            return 1;
    return 0;
}

struct expect {
    const char *text;
    const char *surface; /* a mention that must exist */
    int nth;             /* which occurrence of surface */
    enum entity_type type;
    const char *key;    /* its entity's key, or NULL */
    const char *absent; /* a word that must not be in any mention, or NULL */
};

static const struct expect cases[] = {
    /* honorifics: a lone surname after "Mr." joins the full name */
    {"Marco Rubio arrived in Manila on Monday. Mr. Rubio said the talks went well.", "Rubio", 0,
     ENTITY_PERSON, "person:marco rubio", "Mr."},
    {"Foreign Minister Sergei Lavrov met reporters in Moscow.", "Sergei Lavrov", 0, ENTITY_PERSON,
     "person:sergei lavrov", "Minister"},
    {"Foreign Minister Sergei Lavrov met reporters in Moscow.", "Moscow", 0, ENTITY_LOCATION,
     "location:moscow", NULL},
    /* possessives: the span stops before 's */
    {"Russia's foreign ministry said on Tuesday that it would respond.", "Russia", 0,
     ENTITY_LOCATION, "location:russia", "Tuesday"},
    {"Officials rejected Russia\xe2\x80\x99s offer on Friday.", "Russia", 0, ENTITY_LOCATION,
     "location:russia", "Friday"},
    /* headlines in capitals */
    {"RUSSIA AND CHINA SIGN ENERGY DEAL\n\nRussia and China signed a gas deal in Beijing on "
     "Monday.",
     "RUSSIA", 0, ENTITY_LOCATION, "location:russia", "ENERGY"},
    {"RUSSIA AND CHINA SIGN ENERGY DEAL\n\nRussia and China signed a gas deal in Beijing on "
     "Monday.",
     "CHINA", 0, ENTITY_LOCATION, "location:china", "DEAL"},
    /* sentence-initial common words are not names */
    {"However, the plan failed in Paris. The ministers met again in Berlin.", "Berlin", 0,
     ENTITY_LOCATION, "location:berlin", "However"},
    {"However, the plan failed in Paris. The ministers met again in Berlin.", "Paris", 0,
     ENTITY_LOCATION, "location:paris", "The"},
    /* multi-word, particle and hyphenated names */
    {"Ursula von der Leyen met Wang Yi in Kuala Lumpur on Thursday.", "Ursula von der Leyen", 0,
     ENTITY_PERSON, "person:ursula von der leyen", "Thursday"},
    {"Ursula von der Leyen met Wang Yi in Kuala Lumpur on Thursday.", "Wang Yi", 0, ENTITY_PERSON,
     "person:wang yi", NULL},
    {"Ursula von der Leyen met Wang Yi in Kuala Lumpur on Thursday.", "Kuala Lumpur", 0,
     ENTITY_LOCATION, "location:kuala lumpur", NULL},
    /* spelling variants share a key */
    {"The U.S. and Britain agreed, officials in Washington said.", "U.S.", 0, ENTITY_LOCATION,
     "location:united states", NULL},
    {"Talks between the US and Iran resumed in Oman.", "US", 0, ENTITY_LOCATION,
     "location:united states", NULL},
    {"The United States imposed new sanctions on Monday.", "United States", 0, ENTITY_LOCATION,
     "location:united states", "Monday"},
    {"Sergey Lavrov arrived in Ankara late on Sunday.", "Sergey Lavrov", 0, ENTITY_PERSON,
     "person:sergei lavrov", "Sunday"},
    /* acronyms: in parentheses, and in another case */
    {"The World Food Programme (WFP) warned of famine. WFP staff left the region.", "WFP", 1,
     ENTITY_ORGANIZATION, "organization:world food programme", NULL},
    {"Leaders of the Association of Southeast Asian Nations met in Jakarta. Asean ministers "
     "agreed.",
     "Asean", 0, ENTITY_ORGANIZATION, "organization:association of southeast asian nations", NULL},
    /* organisation cues */
    {"The Ministry of Defence said troops had left. The ministry gave no details.",
     "Ministry of Defence", 0, ENTITY_ORGANIZATION, "organization:ministry of defence", NULL},
};

Test(entity, sentence_table, .init = setup, .fini = teardown)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct expect *c = &cases[i];
        struct entity_result r;
        cr_assert_eq(entity_extract(ex, c->text, strlen(c->text), &r), 0);
        long m = find_mention(&r, c->text, c->surface, c->nth);
        cr_expect_geq(m, 0, "case %zu: no mention \"%s\"", i, c->surface);
        if (m >= 0) {
            const struct entity *e = &r.entities[r.mentions[m].entity];
            cr_expect_eq(e->type, c->type, "case %zu: \"%s\" is %s", i, c->surface,
                         entity_type_name(e->type));
            if (c->key)
                cr_expect_str_eq(e->key, c->key, "case %zu: key of \"%s\"", i, c->surface);
        }
        if (c->absent)
            cr_expect_not(word_in_mention(&r, c->text, c->absent), "case %zu: \"%s\" tagged", i,
                          c->absent);
        entity_result_free(&r);
    }
}

Test(entity, coreference_merges_mentions, .init = setup, .fini = teardown)
{
    const char *t = "Marco Rubio arrived in Manila on Monday. Mr. Rubio said the talks went well. "
                    "Rubio later flew to Tokyo.";
    struct entity_result r;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    long a = find_mention(&r, t, "Marco Rubio", 0), b = find_mention(&r, t, "Rubio", 0);
    long c = find_mention(&r, t, "Rubio", 1);
    cr_assert(a >= 0 && b >= 0 && c >= 0);
    cr_expect_eq(r.mentions[a].entity, r.mentions[b].entity);
    cr_expect_eq(r.mentions[a].entity, r.mentions[c].entity);
    const struct entity *e = &r.entities[r.mentions[a].entity];
    cr_expect_str_eq(e->name, "Marco Rubio");
    int has_alias = 0;
    for (size_t k = 0; k < e->naliases; k++)
        has_alias |= strcmp(e->aliases[k], "Rubio") == 0;
    cr_expect(has_alias, "alias Rubio");
    /* mentions come in text order */
    for (size_t k = 1; k < r.nmentions; k++)
        cr_expect_lt(r.mentions[k - 1].start, r.mentions[k].start);
    entity_result_free(&r);
}

Test(entity, variants_in_one_article_are_one_entity, .init = setup, .fini = teardown)
{
    const char *t = "Sergei Lavrov spoke in Geneva. Later Sergey Lavrov met the U.S. envoy, and "
                    "the US said the United States would reply.";
    struct entity_result r;
    size_t persons = 0, us = 0;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    for (size_t i = 0; i < r.nentities; i++) {
        persons += strcmp(r.entities[i].key, "person:sergei lavrov") == 0;
        us += strcmp(r.entities[i].key, "location:united states") == 0;
    }
    cr_expect_eq(persons, 1);
    cr_expect_eq(us, 1);
    for (size_t i = 0; i < r.nentities; i++)
        if (strcmp(r.entities[i].key, "location:united states") == 0)
            cr_expect_str_eq(r.entities[i].name, "United States");
    entity_result_free(&r);
}

Test(entity, keys_for_user_names)
{
    struct {
        enum entity_type t;
        const char *name, *key;
    } k[] = {
        {ENTITY_LOCATION, "U.S.", "location:united states"},
        {ENTITY_LOCATION, "US", "location:united states"},
        {ENTITY_LOCATION, "United States", "location:united states"},
        {ENTITY_LOCATION, "united states of america", "location:united states"},
        {ENTITY_LOCATION, "Britain", "location:united kingdom"},
        {ENTITY_PERSON, "Sergei Lavrov", "person:sergei lavrov"},
        {ENTITY_PERSON, "Sergey Lavrov", "person:sergei lavrov"},
        {ENTITY_PERSON, "Mr. Marco Rubio", "person:marco rubio"},
        {ENTITY_PERSON, "Dmitry Peskov", "person:dmitri peskov"},
        {ENTITY_PERSON, "Dmitriy Peskov", "person:dmitri peskov"},
        {ENTITY_ORGANIZATION, "NATO", "organization:north atlantic treaty organization"},
        {ENTITY_ORGANIZATION, "Nato", "organization:north atlantic treaty organization"},
        {ENTITY_LOCATION, "Z\xc3\xbcrich", "location:zurich"},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        char *key = entity_key_for(k[i].t, k[i].name, strlen(k[i].name));
        cr_assert_not_null(key, "%s", k[i].name);
        cr_expect_str_eq(key, k[i].key, "%s", k[i].name);
        free(key);
    }
    cr_expect_null(entity_key_for(ENTITY_PERSON, "...", 3));
}

Test(entity, type_names)
{
    enum entity_type t;
    for (int i = ENTITY_PERSON; i <= ENTITY_LOCATION; i++) {
        cr_assert_eq(entity_type_parse(entity_type_name((enum entity_type)i), &t), 0);
        cr_expect_eq((int)t, i);
    }
    cr_expect_str_eq(entity_type_name(ENTITY_ORGANIZATION), "organization");
    cr_expect_eq(entity_type_parse("place", &t), -1);
    cr_expect_eq(entity_type_parse(NULL, &t), -1);
}

Test(entity, page_chrome_and_calendar_words_are_not_entities, .init = setup, .fini = teardown)
{
    const char *t = "Share This Article\n\nPhoto Credit: Getty Images\n\nSign up now for our "
                    "Morning Briefing newsletter.\n\nPublished Monday, 12 March 2024\n\nRead More";
    struct entity_result r;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    for (size_t i = 0; i < r.nmentions; i++)
        cr_expect_fail("unexpected mention \"%.*s\"",
                       (int)(r.mentions[i].byte_end - r.mentions[i].byte_start),
                       t + r.mentions[i].byte_start);
    entity_result_free(&r);
}

/* Mentions that must not exist (words[]: none may be inside a mention) and that must (with
 * their type), in one text. */
static void expect_text(const char *t, const char *const *absent, const char *const *present,
                        const enum entity_type *types)
{
    struct entity_result r;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    for (size_t k = 0; absent[k]; k++)
        cr_expect_not(word_in_mention(&r, t, absent[k]), "\"%s\" tagged in: %s", absent[k], t);
    for (size_t k = 0; present[k]; k++) {
        long m = find_mention(&r, t, present[k], 0);
        cr_expect_geq(m, 0, "no mention \"%s\" in: %s", present[k], t);
        if (m >= 0)
            cr_expect_eq(r.entities[r.mentions[m].entity].type, types[k], "type of \"%s\"",
                         present[k]);
    }
    entity_result_free(&r);
}

Test(entity, wire_signoffs_datelines_and_bylines_are_not_entities, .init = setup, .fini = teardown)
{
    /* the Reuters-21578 sign-off, in both spellings */
    expect_text("The company said it expects higher earnings in 1987, up from 12 mln dlrs in "
                "1986.\n REUTER\n",
                (const char *const[]){"REUTER", NULL}, (const char *const[]){NULL}, NULL);
    expect_text("Japan's trade surplus with the United States widened in February.\n Reuter\n",
                (const char *const[]){"Reuter", NULL}, (const char *const[]){"Japan", NULL},
                (const enum entity_type[]){ENTITY_LOCATION});
    /* an agency's credit in a dateline is not one; the agency as a source stays one */
    expect_text("PARIS (AFP) - French President Jacques Chirac said on Monday that the minister "
                "told Reuters he would resign.",
                (const char *const[]){"AFP", NULL},
                (const char *const[]){"PARIS", "Jacques Chirac", "Reuters", NULL},
                (const enum entity_type[]){ENTITY_LOCATION, ENTITY_PERSON, ENTITY_ORGANIZATION});
    /* a byline and a wire's dateline; "written by" inside a sentence is no credit */
    expect_text("By Jane Smith\n\nLONDON (Reuters) - Britain's economy grew in the third "
                "quarter. The song was written by Lionel Richie and Michael Jackson.",
                (const char *const[]){"Jane", "Smith", "Reuters", NULL},
                (const char *const[]){"LONDON", "Lionel Richie", "Michael Jackson", NULL},
                (const enum entity_type[]){ENTITY_LOCATION, ENTITY_PERSON, ENTITY_PERSON});
    expect_text("Oil prices fell on Tuesday in New York trading.\n(Reporting by Jane Smith in "
                "London; Editing by Mark Potter)",
                (const char *const[]){"Jane", "London", "Mark", NULL},
                (const char *const[]){"New York", NULL},
                (const enum entity_type[]){ENTITY_LOCATION});
}

Test(entity, a_name_never_crosses_a_line_break, .init = setup, .fini = teardown)
{
    const char *t = "Thousands marched through the capital on Sunday against the new law, police "
                    "said. Photo: AFP\nHashtags #protest #paris";
    struct entity_result r;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    for (size_t i = 0; i < r.nmentions; i++)
        cr_expect_null(memchr(t + r.mentions[i].byte_start, '\n',
                              r.mentions[i].byte_end - r.mentions[i].byte_start),
                       "mention \"%.*s\" crosses a line",
                       (int)(r.mentions[i].byte_end - r.mentions[i].byte_start),
                       t + r.mentions[i].byte_start);
    cr_expect_geq(find_mention(&r, t, "AFP", 0), 0);
    entity_result_free(&r);
    /* text wrapped at a fixed width (newswire) breaks lines inside names: those stay whole */
    expect_text("The rules were adopted by the Securities and Exchange\nCommission last week "
                "after a long review of the market, officials\nsaid. The agency said the change "
                "would help investors and would\nbe applied to all brokers from next year, a "
                "spokesman said today.\n",
                (const char *const[]){NULL},
                (const char *const[]){"Securities and Exchange\nCommission", NULL},
                (const enum entity_type[]){ENTITY_ORGANIZATION});
    /* but an indented line (a newswire paragraph) starts anew */
    expect_text("Shares were offered through Morgan Stanley and Co and Celanese Corp.\n    "
                "Hoechst said it would buy the rest of the shares by the end of the\nyear at a "
                "price to be agreed with the minority holders, a spokesman\nsaid.\n",
                (const char *const[]){NULL}, (const char *const[]){"Hoechst", NULL},
                (const enum entity_type[]){ENTITY_ORGANIZATION});
}

Test(entity, legal_forms_and_generic_heads_alone_are_not_entities, .init = setup, .fini = teardown)
{
    expect_text("Moody's Investors Service Inc said it downgraded the debt of the company. The "
                "Bank said the Commission would review it, Federal officials said.",
                (const char *const[]){"Bank", "Commission", "Federal", NULL},
                (const char *const[]){"Moody's Investors Service Inc", NULL},
                (const enum entity_type[]){ENTITY_ORGANIZATION});
    /* Reuters-21578: a short line ends the sentence before the suffix */
    expect_text("Standard Oil Co and BP North America\nInc said they plan to form a venture to "
                "manage the money market\nborrowing and investment activities of both "
                "companies.\n",
                (const char *const[]){"Inc", NULL}, (const char *const[]){"Standard Oil Co", NULL},
                (const enum entity_type[]){ENTITY_ORGANIZATION});
}

Test(entity, code_point_offsets_after_non_ascii_text, .init = setup, .fini = teardown)
{
    const char *t = "Caf\xc3\xa9 owners in Z\xc3\xbcrich and S\xc3\xa3o Paulo \xe2\x80\x94 "
                    "\xe2\x80\x9cwelcomed\xe2\x80\x9d Angela Merkel.";
    struct entity_result r;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    long m = find_mention(&r, t, "Angela Merkel", 0);
    cr_assert_geq(m, 0);
    const struct entity_mention *mm = &r.mentions[m];
    cr_expect_eq(mm->start, utf8_count(t, mm->byte_start));
    cr_expect_eq(mm->end - mm->start, 13);
    /* every mention's code point span matches its byte span */
    for (size_t i = 0; i < r.nmentions; i++) {
        cr_expect_eq(r.mentions[i].start, utf8_count(t, r.mentions[i].byte_start));
        cr_expect_eq(r.mentions[i].end, utf8_count(t, r.mentions[i].byte_end));
    }
    long z = find_mention(&r, t, "Z\xc3\xbcrich", 0);
    cr_assert_geq(z, 0);
    cr_expect_eq(r.mentions[z].start, 15);
    cr_expect_eq(r.mentions[z].end, 21);
    cr_expect_str_eq(r.entities[r.mentions[z].entity].key, "location:zurich");
    entity_result_free(&r);
}

Test(entity, empty_and_odd_input, .init = setup, .fini = teardown)
{
    static const char *texts[] = {"", " ", "\n\n\n", "...", "'s", "A", "(", "U.S.", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct entity_result r;
        cr_assert_eq(entity_extract(ex, texts[i], strlen(texts[i]), &r), 0, "text %zu", i);
        for (size_t k = 0; k < r.nmentions; k++)
            cr_expect_leq(r.mentions[k].byte_end, strlen(texts[i]));
        entity_result_free(&r);
    }
}

struct thread_arg {
    const char *text;
    size_t nmentions;
    int ok;
};

static void *extract_thread(void *p)
{
    struct thread_arg *a = p;
    a->ok = 1;
    for (int i = 0; i < 20; i++) {
        struct entity_result r;
        if (entity_extract(ex, a->text, strlen(a->text), &r) != 0 || r.nmentions != a->nmentions)
            a->ok = 0;
        entity_result_free(&r);
    }
    return NULL;
}

Test(entity, shared_extractor_across_threads, .init = setup, .fini = teardown)
{
    const char *t = "Marco Rubio met Sergei Lavrov in Kuala Lumpur. Mr. Rubio said the U.S. "
                    "and the Association of Southeast Asian Nations (ASEAN) agreed.";
    struct entity_result r;
    pthread_t th[4];
    struct thread_arg args[4];
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    for (int i = 0; i < 4; i++) {
        args[i] = (struct thread_arg){t, r.nmentions, 0};
        pthread_create(&th[i], NULL, extract_thread, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_expect(args[i].ok, "thread %d", i);
    }
    entity_result_free(&r);
}
