/* gazetteer.h: the word and phrase lists shipped in data/ and embedded in the binary:
 * places (ISO 3166 countries and subdivisions, GeoNames cities), first names, cue words
 * (titles, organisation and place heads, name particles, page chrome, calendar words), the
 * word-case lexicon and canonical names of spelling variants ("U.S." -> "United States"). */
#ifndef ARTICLED_GAZETTEER_H
#define ARTICLED_GAZETTEER_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/error.h"

/* Bits of a phrase (gazetteer_phrase). */
#define GAZ_COUNTRY    0x00001u /* ISO 3166-1 country or a variant of one */
#define GAZ_REGION     0x00002u /* ISO 3166-2 subdivision, continent, region */
#define GAZ_CITY1      0x00004u /* city of 1M people or more */
#define GAZ_CITY2      0x00008u /* city of 100k or more */
#define GAZ_CITY3      0x00010u /* city of 15k or more */
#define GAZ_ORG        0x00020u /* a well-known organisation (data/aliases.tsv) */
#define GAZ_FIRSTNAME  0x00040u /* a first name */
#define GAZ_TITLE      0x00080u /* title or honorific before a person's name */
#define GAZ_ORGCUE     0x00100u /* head word of organisation names */
#define GAZ_LOCCUE     0x00200u /* head word of place names */
#define GAZ_PARTICLE   0x00400u /* lower-case particle inside names ("von", "bin") */
#define GAZ_CHROME     0x00800u /* page furniture ("Share This Article") */
#define GAZ_TIME       0x01000u /* month, weekday, time zone */
#define GAZ_STOP       0x02000u /* capitalised function word never an entity alone */
#define GAZ_PREFIX     0x04000u /* a longer phrase starts with this one and a space */
#define GAZ_PLACE_MASK (GAZ_COUNTRY | GAZ_REGION | GAZ_CITY1 | GAZ_CITY2 | GAZ_CITY3)

/* Word-case classes from unlabelled news (gazetteer_word_case): how a word is written when
 * it is not the first of a sentence nor in a headline. */
enum gazetteer_case {
    GAZ_CASE_UNKNOWN = 0, /* too rare to say */
    GAZ_CASE_LOWER,       /* almost always lower case ("said") */
    GAZ_CASE_MIXED,       /* lower case more often than not ("bush", "mark") */
    GAZ_CASE_CAP,         /* capitalised more often than not */
    GAZ_CASE_ALWAYS_CAP,  /* almost always capitalised ("lavrov") */
    GAZ_CASE_UPPER        /* mostly in capitals ("nato", "ibm") */
};

/* Type of a canonical-name look-up: matches enum entity_type's order. */
enum gazetteer_kind { GAZ_KIND_PERSON = 0, GAZ_KIND_ORGANIZATION = 1, GAZ_KIND_LOCATION = 2 };

struct gazetteer;

/* The process-wide gazetteer built once (thread-safe, on first call) from the embedded data.
 * Returns it, or NULL with err filled when the data cannot be parsed or memory runs out.
 * The gazetteer is immutable and lives until exit: callers borrow it. */
const struct gazetteer *gazetteer_shared(struct error *err);

/* Bits (GAZ_*) of a phrase given as folded tokens (nameform_fold) joined by single spaces,
 * e.g. "kuala lumpur", "u.s.", "prime minister"; 0 when unknown. */
uint32_t gazetteer_phrase(const struct gazetteer *g, const char *key, size_t n);

/* All that is known of one folded token in one look-up: its phrase bits (returned), and its
 * word-case and frequency classes in *wcase and *freq. */
uint32_t gazetteer_word(const struct gazetteer *g, const char *key, size_t n, int *wcase,
                        int *freq);

/* gazetteer_word of n keys given by their gazetteer_hash (look-ups are by hash): the phrase
 * bits, word-case and frequency classes of the key with hash[i] into bits[i], wcase[i],
 * freq[i]; faster than one at a time (the table is larger than the caches). */
void gazetteer_words_hashed(const struct gazetteer *g, const uint64_t *hash, size_t n,
                            uint32_t *bits, uint8_t *wcase, uint8_t *freq);

/* Word-case class of one folded token. */
enum gazetteer_case gazetteer_word_case(const struct gazetteer *g, const char *key, size_t n);

/* Frequency class of one folded token in unlabelled news: 0 (unseen) .. 7 (very common). */
int gazetteer_word_freq(const struct gazetteer *g, const char *key, size_t n);

/* Canonical display name for a name's key form (nameform_key) of the given kind, e.g.
 * (LOCATION, "us") -> "United States"; NULL when the name has no listed variant. The string
 * is borrowed from the gazetteer. */
const char *gazetteer_canonical(const struct gazetteer *g, enum gazetteer_kind kind,
                                const char *keyform);

/* Hash used for phrase keys (exposed for callers that build keys incrementally). */
uint64_t gazetteer_hash(const char *s, size_t n);

#endif
