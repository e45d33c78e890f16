/* test_langid.c: the language detector (analysis/langid.h) with the shipped model: a
 * sentence per language, texts too short to tell, odd input, mixed scripts, the model
 * parser's refusals. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "analysis/langid.h"

static const char *detect(const char *text)
{
    static char out[16];
    struct langid_result r;
    int rc = langid_detect(NULL, text, strlen(text), 0.2, &r);
    snprintf(out, sizeof out, "%s", rc == 0 ? r.code : "unknown");
    return out;
}

Test(langid, shipped_model_loads)
{
    const struct langid_model *m = langid_default();
    cr_assert_not_null(m);
    cr_expect_geq(langid_model_nlang(m), 20);
    cr_expect_str_eq(langid_model_code(m, 0), "en");
    cr_expect_str_eq(langid_model_code(m, 100000), "");
}

/* one news sentence a language (not in the evaluation set) */
Test(langid, a_sentence_per_language)
{
    static const struct {
        const char *code, *text;
    } cases[] = {
        {"en", "The minister said the new law would come into force next spring."},
        {"de", "Der Minister sagte, das neue Gesetz werde im nächsten Frühjahr in Kraft treten."},
        {"fr", "Le ministre a déclaré que la nouvelle loi entrerait en vigueur au printemps."},
        {"es", "El ministro dijo que la nueva ley entrará en vigor la próxima primavera."},
        {"it", "Il ministro ha detto che la nuova legge entrerà in vigore la prossima primavera."},
        {"pt", "O ministro disse que a nova lei entrará em vigor na próxima primavera."},
        {"nl", "De minister zei dat de nieuwe wet volgend voorjaar in werking treedt."},
        {"sv", "Ministern sade att den nya lagen träder i kraft nästa vår."},
        {"da", "Ministeren sagde, at den nye lov træder i kraft til foråret."},
        {"fi", "Ministerin mukaan uusi laki tulee voimaan ensi keväänä."},
        {"pl", "Minister powiedział, że nowa ustawa wejdzie w życie wiosną przyszłego roku."},
        {"cs", "Ministr řekl, že nový zákon vstoupí v platnost příští jaro."},
        {"hu", "A miniszter szerint az új törvény jövő tavasszal lép hatályba."},
        {"ro", "Ministrul a declarat că noua lege va intra în vigoare în primăvara viitoare."},
        {"tr", "Bakan, yeni yasanın gelecek bahar yürürlüğe gireceğini söyledi."},
        {"ru", "Министр заявил, что новый закон вступит в силу следующей весной."},
        {"uk", "Міністр заявив, що новий закон набуде чинності наступної весни."},
        {"el", "Ο υπουργός δήλωσε ότι ο νέος νόμος θα τεθεί σε ισχύ την επόμενη άνοιξη."},
        {"ar", "قال الوزير إن القانون الجديد سيدخل حيز التنفيذ في الربيع المقبل."},
        {"he", "השר אמר כי החוק החדש ייכנס לתוקף באביב הבא."},
        {"zh", "部长表示，新法律将于明年春天正式生效。"},
        {"ja", "大臣は、新しい法律が来年の春に施行されると述べました。"},
        {"ko", "장관은 새 법이 내년 봄에 시행될 것이라고 말했습니다."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_str_eq(detect(cases[i].text), cases[i].code, "%s", cases[i].text);
}

Test(langid, too_little_text_is_unknown)
{
    struct langid_result r;
    cr_expect_str_eq(detect(""), "unknown");
    cr_expect_str_eq(detect("Hi"), "unknown");
    cr_expect_str_eq(detect("2025-03-01 12:00 +31 (0)20 555 0199 ... 42%"), "unknown");
    cr_expect_str_eq(detect("!!! ??? --- *** ### @@@"), "unknown");
    cr_expect_eq(langid_detect(NULL, "Hi", 2, 0.0, &r), 1);
    cr_expect_str_eq(r.code, "");
    cr_expect_eq(r.letters, 2);
    cr_expect_eq(langid_detect(NULL, NULL, 0, 0.0, &r), 1);
}

/* The module is fed validated UTF-8, but odd valid text must not trip it: mixed scripts,
 * combining marks, emoji, control characters, a lone letter repeated, and text past the
 * read bound (only the first LANGID_MAX_BYTES count). */
Test(langid, odd_text_never_crashes)
{
    static char big[3 * LANGID_MAX_BYTES];
    struct langid_result r;
    const char *odd[] = {
        "Москва Berlin 東京 القاهرة Αθήνα Paris",
        "e\xcc\x81"
        "e\xcc\x81"
        "e\xcc\x81 a\xcc\x8a"
        "a\xcc\x8a combining marks only",
        "\xf0\x9f\x98\x80\xf0\x9f\x8c\x8d\xf0\x9f\x93\xb0 emoji \xf0\x9f\x98\x80",
        "\t\r\n\x01\x02\x7f",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        int rc = langid_detect(NULL, odd[i], strlen(odd[i]), 0.0, &r);
        cr_expect(rc == 0 || rc == 1);
        cr_expect(r.confidence >= 0.0 && r.confidence <= 1.0);
    }
    /* a German text, then a long Russian tail past the bound: still German */
    strcpy(big, "Der Minister sagte, das neue Gesetz werde im nächsten Frühjahr in Kraft "
                "treten, und die Länder müssten ihre Verwaltung bis dahin umstellen. ");
    while (strlen(big) < LANGID_MAX_BYTES + 64)
        strcat(big, "Der Bundestag berät am Donnerstag über den Entwurf. ");
    while (strlen(big) + 64 < sizeof big)
        strcat(big, "Министр заявил, что закон вступит в силу. ");
    cr_expect_eq(langid_detect(NULL, big, strlen(big), 0.2, &r), 0);
    cr_expect_str_eq(r.code, "de");
    cr_expect_leq(r.letters, LANGID_MAX_BYTES);
}

Test(langid, mixed_scripts_follow_the_majority)
{
    cr_expect_str_eq(detect("Владимир Путин встретился с Emmanuel Macron в Москве, чтобы "
                            "обсудить поставки газа и ситуацию на Украине."),
                     "ru");
    cr_expect_str_eq(detect("Angela Merkel und Wladimir Putin (Владимир Путин) trafen sich "
                            "am Montag in Berlin zu Gesprächen über die Gaslieferungen."),
                     "de");
}

Test(langid, code_shape)
{
    cr_expect(langid_code_valid("en"));
    cr_expect(langid_code_valid("DE"));
    cr_expect_not(langid_code_valid(""));
    cr_expect_not(langid_code_valid("e"));
    cr_expect_not(langid_code_valid("eng"));
    cr_expect_not(langid_code_valid("en-GB"));
    cr_expect_not(langid_code_valid("e1"));
    cr_expect_not(langid_code_valid("é"));
    cr_expect_not(langid_code_valid(NULL));
}

Test(langid, model_parser_refuses_bad_files)
{
    static const unsigned char ok[] = "ARTLID01\x01\x00\x00\x00\x01\x00\x00\x00"
                                      "xx\x10"
                                      "\x01\x02\x03\x04\x00\x05";
    static const unsigned char bad_lang[] = "ARTLID01\x01\x00\x00\x00\x01\x00\x00\x00"
                                            "xx\x10"
                                            "\x01\x02\x03\x04\x07\x05";
    struct langid_model *m = NULL;
    struct error err = {0};
    cr_expect_eq(langid_model_load((const unsigned char *)"nope", 4, &m, &err), -1);
    cr_expect_null(m);
    cr_expect_eq(langid_model_load(ok, sizeof ok - 2, &m, &err), -1); /* truncated */
    cr_expect_eq(langid_model_load(bad_lang, sizeof bad_lang - 1, &m, &err), -1);
    cr_assert_eq(langid_model_load(ok, sizeof ok - 1, &m, &err), 0);
    cr_expect_eq(langid_model_nlang(m), 1);
    cr_expect_str_eq(langid_model_code(m, 0), "xx");
    langid_model_free(m);
}
