/* Unit tests for analysis/entity's types and merges on real-shaped news text: companies,
 * clubs and parties with a person's shape, lone surnames between two people of one family,
 * aliases that are real variants only, names cut at "&", "and" or "'s", page chrome
 * (analysis/chrome). Uses only the data embedded in the binary. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/chrome.h"
#include "analysis/entity.h"

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

/* The entity whose display name is name, or NULL. */
static const struct entity *by_name(const struct entity_result *r, const char *name)
{
    for (size_t i = 0; i < r->nentities; i++)
        if (strcmp(r->entities[i].name, name) == 0)
            return &r->entities[i];
    return NULL;
}

static int has_alias(const struct entity *e, const char *alias)
{
    for (size_t i = 0; i < e->naliases; i++)
        if (strcmp(e->aliases[i], alias) == 0)
            return 1;
    return 0;
}

/* Whether some mention's text is surface. */
static int mentioned(const struct entity_result *r, const char *t, const char *surface)
{
    size_t n = strlen(surface);
    for (size_t i = 0; i < r->nmentions; i++)
        if (r->mentions[i].byte_end - r->mentions[i].byte_start == n &&
            memcmp(t + r->mentions[i].byte_start, surface, n) == 0)
            return 1;
    return 0;
}

/* Checks that each name in names[] is an entity of types[k] (names NULL-terminated). */
static void expect_types(const char *t, const char *const *names, const enum entity_type *types)
{
    struct entity_result r;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    for (size_t k = 0; names[k]; k++) {
        const struct entity *e = by_name(&r, names[k]);
        cr_expect_not_null(e, "no entity \"%s\" in: %s", names[k], t);
        if (e != NULL)
            cr_expect_eq(e->type, types[k], "\"%s\" is a %s, want %s", names[k],
                         entity_type_name(e->type), entity_type_name(types[k]));
    }
    entity_result_free(&r);
}

Test(entity_types, companies_with_a_persons_shape, .init = setup, .fini = teardown)
{
    /* Reuters-21578: brokerages named after their founders, a company cut from its suffix */
    expect_types("Analysts at Smith Barney, Harris Upham and Co said the stock was cheap. "
                 "E.F. Hutton and Co also raised its rating.\n",
                 (const char *const[]){"Smith Barney", "E.F. Hutton", NULL},
                 (const enum entity_type[]){ENTITY_ORGANIZATION, ENTITY_ORGANIZATION});
    expect_types("Chrysler Corp said its February car sales rose 12 pct. Chrysler said it "
                 "expected sales to keep rising this spring.\n",
                 (const char *const[]){"Chrysler Corp", NULL},
                 (const enum entity_type[]){ENTITY_ORGANIZATION});
    expect_types("\"Demand will stay strong,\" said Joseph Doyle of Smith Barney. Douglas "
                 "Augenthaler, an analyst with E.F. Hutton, agreed.\n",
                 (const char *const[]){"Smith Barney", "E.F. Hutton", "Joseph Doyle", NULL},
                 (const enum entity_type[]){ENTITY_ORGANIZATION, ENTITY_ORGANIZATION,
                                            ENTITY_PERSON});
    expect_types("Royal Dutch/Shell Group said profits fell. Shares of Apple rose 2 dlrs and "
                 "Sony's shares fell in Tokyo.",
                 (const char *const[]){"Royal Dutch", "Apple", "Sony", NULL},
                 (const enum entity_type[]){ENTITY_ORGANIZATION, ENTITY_ORGANIZATION,
                                            ENTITY_ORGANIZATION});
    expect_types("He says Apple is breaking the law. Apple, which opened its online store in "
                 "2003, said it would appeal.",
                 (const char *const[]){"Apple", NULL},
                 (const enum entity_type[]){ENTITY_ORGANIZATION});
}

Test(entity_types, clubs_and_parties_are_organisations, .init = setup, .fini = teardown)
{
    /* BBC Sport 2005: a club takes a plural verb and has a boss, a fixture has two sides */
    expect_types("Chelsea boss Jose Mourinho said his side were ready. Chelsea have not "
                 "played Barcelona since 2000.\n\nNewcastle v Arsenal\n",
                 (const char *const[]){"Chelsea", "Jose Mourinho", NULL},
                 (const enum entity_type[]){ENTITY_ORGANIZATION, ENTITY_PERSON});
    expect_types("Tory leader Michael Howard said the Tories would cut taxes. A Tory "
                 "spokesman said the Lib Dems would lose.",
                 (const char *const[]){"Tory", "Michael Howard", NULL},
                 (const enum entity_type[]){ENTITY_ORGANIZATION, ENTITY_PERSON});
    /* people named only by surname stay people */
    expect_types("Prime Minister Tony Blair met Chancellor Gordon Brown. Blair said the "
                 "economy was strong, and Brown agreed.",
                 (const char *const[]){"Tony Blair", "Gordon Brown", NULL},
                 (const enum entity_type[]){ENTITY_PERSON, ENTITY_PERSON});
    expect_types("Mr Lawson said sterling was stable. Lawson told parliament rates would "
                 "stay.",
                 (const char *const[]){"Lawson", NULL}, (const enum entity_type[]){ENTITY_PERSON});
}

Test(entity_types, places_with_a_persons_shape, .init = setup, .fini = teardown)
{
    expect_types("Colonial Realty of West Hartford, Conn., bought 175,900 shares, and a plant "
                 "will open in Denver, Colo., next year.",
                 /* the agencies' state abbreviations name their states (data/aliases.tsv) */
                 (const char *const[]){"Connecticut", "Colorado", NULL},
                 (const enum entity_type[]){ENTITY_LOCATION, ENTITY_LOCATION});
}

Test(entity_types, a_lone_surname_never_joins_two_people, .init = setup, .fini = teardown)
{
    const char *t = "Donald Trump said on Monday he would run again. His daughter-in-law Lara "
                    "Trump told supporters in Ohio that the campaign was ready. Trump later "
                    "said the polls were wrong.";
    struct entity_result r;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    const struct entity *d = by_name(&r, "Donald Trump"), *l = by_name(&r, "Lara Trump");
    cr_assert_not_null(d);
    cr_assert_not_null(l);
    cr_expect_neq(d, l);
    cr_expect_eq(d->type, ENTITY_PERSON);
    cr_expect_eq(l->type, ENTITY_PERSON);
    cr_expect_not(has_alias(d, "Lara Trump"));
    cr_expect_not(has_alias(l, "Donald Trump"));
    cr_expect(has_alias(d, "Trump") != has_alias(l, "Trump"), "\"Trump\" joins one of them");
    entity_result_free(&r);

    t = "Conservative leader Michael Howard attacked the government over taxes. Australian "
        "Prime Minister John Howard said he would visit London. Howard said the talks went well.";
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    d = by_name(&r, "Michael Howard");
    l = by_name(&r, "John Howard");
    cr_assert_not_null(d);
    cr_assert_not_null(l);
    cr_expect_not(has_alias(d, "John Howard"));
    cr_expect_not(has_alias(l, "Michael Howard"));
    entity_result_free(&r);

    /* newswire wrapped at a fixed width splits a name at a line break: still one person */
    t = "U.S. trade representative Clayton\nYeutter today said that if the European "
        "Community's Council of\nMinisters approves a tax on vegetable oils and fats, another\n"
        "major transatlantic trade row will erupt over agriculture.\n";
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    cr_expect_not_null(by_name(&r, "Clayton\nYeutter") ? by_name(&r, "Clayton\nYeutter")
                                                        : by_name(&r, "Clayton Yeutter"));
    cr_expect_null(by_name(&r, "Clayton"));
    entity_result_free(&r);
}

Test(entity_types, aliases_are_real_variants, .init = setup, .fini = teardown)
{
    const char *t = "The U.S. Senate voted on Tuesday. Universal Studio said US officials had "
                    "met University of Surrey staff. Ford Motor Co and FMC Corp said FMC would "
                    "buy parts. Joy Division's Love Will Tear Us Apart topped the poll.";
    struct entity_result r;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    const struct entity *us = by_name(&r, "United States"), *ford = by_name(&r, "Ford Motor Co");
    cr_assert_not_null(us);
    cr_assert_not_null(ford);
    cr_expect_not(has_alias(us, "Universal Studio"));
    cr_expect_not(has_alias(us, "University of Surrey"));
    cr_expect_not(has_alias(us, "U.S. Senate"));
    cr_expect_not(has_alias(us, "Us"));
    cr_expect_not(has_alias(ford, "FMC"));
    entity_result_free(&r);
}

Test(entity_types, names_cut_at_ampersand_and_possessive, .init = setup, .fini = teardown)
{
    const char *t = "Standard and Poor's Corp said it\nupgraded the debt of Texaco Inc.\n\n"
                    "Standard & Poor's Corp later affirmed it. Moody's Investors Service Inc "
                    "said it would review the rating. Moody's said the cut reflected losses.\n";
    struct entity_result r;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    cr_expect(mentioned(&r, t, "Standard and Poor's Corp"));
    cr_expect(mentioned(&r, t, "Standard & Poor's Corp") || mentioned(&r, t, "Standard & Poor's"));
    cr_expect(mentioned(&r, t, "Moody's"));
    cr_expect_null(by_name(&r, "Poor's Corp"));
    cr_expect_null(by_name(&r, "Poor's"));
    cr_expect_null(by_name(&r, "Moody"));
    entity_result_free(&r);
    /* "and" joins only before a possessive name and after a word in no other name */
    expect_types("Texaco and Chevron Corp said they would merge their refineries.",
                 (const char *const[]){"Texaco", NULL},
                 (const enum entity_type[]){ENTITY_ORGANIZATION});
}

Test(entity_types, chrome_lines_are_not_names, .init = setup, .fini = teardown)
{
    const char *t = "Thousands marched through Paris on Sunday against the new law, police said."
                    "\n\n3 min read\n\nShare this article\n\nInterior Minister Gerald Darmanin "
                    "said the march had been peaceful.\n\nYou may also like\nMacron Faces "
                    "Pension Revolt In Parliament\nLe Pen Sets Sights On Elysee\n\n"
                    "Hashtags #Paris #France #protest\n\nJavaScript is disabled in your "
                    "browser. Please enable JavaScript to view this page.\n";
    struct entity_result r;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    cr_expect(mentioned(&r, t, "Paris"));
    cr_expect(mentioned(&r, t, "Gerald Darmanin"));
    for (size_t i = 0; i < r.nmentions; i++) {
        size_t a = r.mentions[i].byte_start;
        cr_expect(a < (size_t)(strstr(t, "You may also like") - t) ||
                      a > (size_t)(strstr(t, "Elysee") - t) + 6,
                  "mention \"%.*s\" in a rail",
                  (int)(r.mentions[i].byte_end - r.mentions[i].byte_start), t + a);
        cr_expect(a < (size_t)(strstr(t, "JavaScript") - t), "mention in a notice");
    }
    entity_result_free(&r);

    struct chrome_span sp[16];
    size_t n = chrome_spans(t, strlen(t), sp, 16);
    cr_expect_eq(n, 7, "badge, share, rail header, 2 items, hashtags, notice: %zu", n);
    /* prose is never chrome, even about shares or reading */
    const char *prose = "Shares of Apple rose.\nHe said he would read the report in a minute.\n"
                        "Related companies were not affected, the ministry said.\n";
    cr_expect_eq(chrome_spans(prose, strlen(prose), sp, 16), 0);
    cr_expect_eq(chrome_spans("", 0, sp, 16), 0);
    cr_expect_eq(chrome_spans("Most read", 9, sp, 0), 1, "counted beyond cap");
}

/* Whether some entity of type ty has display name or alias name. */
static int has_entity(const struct entity_result *r, const char *name, enum entity_type ty)
{
    for (size_t i = 0; i < r->nentities; i++)
        if (r->entities[i].type == ty &&
            (strcmp(r->entities[i].name, name) == 0 || has_alias(&r->entities[i], name)))
            return 1;
    return 0;
}

Test(entity_types, role_names_are_not_one_body, .init = setup, .fini = teardown)
{
    /* Reuters-21578: a bare institution name is every country's; a qualified one is one */
    const char *t = "The Finance Ministry said the yen's rise would hurt exports. The Central "
                    "Bank intervened, dealers said, and the Treasury declined to comment. A suit filed in US District Court "
                    "named the firm. The House voted 290 to 137 for the bill.\n\n"
                    "The U.S. Treasury and the Reserve Bank of Australia said the Bank of "
                    "Japan and the House of Commons had been told.\n";
    struct entity_result r;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    static const char *const roles[] = {"Finance Ministry", "Central Bank", "Treasury",
                                        "US District Court", "House",
                                        NULL};
    for (size_t k = 0; roles[k]; k++)
        cr_expect_null(by_name(&r, roles[k]), "\"%s\" is a role, not one body", roles[k]);
    cr_expect(mentioned(&r, t, "U.S. Treasury"));
    cr_expect(mentioned(&r, t, "Reserve Bank of Australia"));
    cr_expect(mentioned(&r, t, "Bank of Japan"));
    entity_result_free(&r);
}

Test(entity_types, suffixes_tickers_and_possessives, .init = setup, .fini = teardown)
{
    /* legal forms alone; a ticker's exchange code; "by Moody's." at a sentence's end */
    const char *t = "Schneider SA <SCHN.PA> said it would buy Square D Co Inc. shares.\n"
                    "The debt was downgraded by Moody's. The bonds are rated A-2 by Moody's, "
                    "which cited weak sales.\n";
    struct entity_result r;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    cr_expect_null(by_name(&r, "Co Inc"));
    cr_expect_null(by_name(&r, "PA"));
    cr_expect_null(by_name(&r, "Pa"));
    cr_expect_null(by_name(&r, "SCHN.PA"));
    cr_expect_null(by_name(&r, "Moody"));
    cr_expect(mentioned(&r, t, "Moody's"));
    entity_result_free(&r);
}

Test(entity_types, listed_countries_are_places, .init = setup, .fini = teardown)
{
    /* a country's name typed as an organisation by the model stays the place; "EC" is no
     * longer forced onto the European Commission */
    const char *t = "The USSR said on Monday it would buy 1.5 mln tonnes of U.S. wheat. The "
                    "Soviet Union has already bought corn this year.\n"
                    "The European Community (EC) agreed the farm prices. EC ministers met.\n";
    struct entity_result r;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    cr_expect(has_entity(&r, "Soviet Union", ENTITY_LOCATION));
    cr_expect_not(has_entity(&r, "USSR", ENTITY_ORGANIZATION));
    cr_expect_not(has_entity(&r, "Soviet Union", ENTITY_ORGANIZATION));
    cr_expect_null(by_name(&r, "European Commission"));
    entity_result_free(&r);
}

Test(entity_types, works_and_bands_are_not_people, .init = setup, .fini = teardown)
{
    /* BBC 2004-05: film titles, a film series, an award and a band */
    const char *t = "Mike Leigh's film Vera Drake won the top prize in Venice. Harry Potter "
                    "star Daniel Radcliffe said he would return. Imelda Staunton won an "
                    "Oscar nomination. The band Franz Ferdinand topped the chart.\n";
    struct entity_result r;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    cr_expect_not(has_entity(&r, "Vera Drake", ENTITY_PERSON));
    cr_expect_not(has_entity(&r, "Harry Potter", ENTITY_PERSON));
    cr_expect_not(has_entity(&r, "Oscar", ENTITY_PERSON));
    cr_expect_not(has_entity(&r, "Franz Ferdinand", ENTITY_PERSON));
    cr_expect(has_entity(&r, "Mike Leigh", ENTITY_PERSON));
    cr_expect(has_entity(&r, "Daniel Radcliffe", ENTITY_PERSON));
    cr_expect(has_entity(&r, "Imelda Staunton", ENTITY_PERSON));
    entity_result_free(&r);
}

Test(entity_types, misspelt_word_before_a_surname, .init = setup, .fini = teardown)
{
    /* Reuters-21578, 3 March 1987: a misspelt "Although" opens the sentence */
    const char *t = "The White House said President Reagan\nwould make an announcement at 1530 "
                    "EST but the topic\nwas undisclosed.\n    Athough Reagan's topic was not "
                    "disclosed, speculation\ncentered on the naming of a nominee.\n";
    struct entity_result r;
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    cr_expect_null(by_name(&r, "Athough Reagan"));
    cr_expect(has_entity(&r, "Reagan", ENTITY_PERSON));
    entity_result_free(&r);
    /* a title's last word before the holder's name */
    t = "Chancellor of the Exchequer Nigel Lawson said the pound was stable. Lawson told "
        "parliament rates would stay.\n";
    cr_assert_eq(entity_extract(ex, t, strlen(t), &r), 0);
    cr_expect_null(by_name(&r, "Exchequer Nigel Lawson"));
    cr_expect(has_entity(&r, "Nigel Lawson", ENTITY_PERSON));
    entity_result_free(&r);
}
