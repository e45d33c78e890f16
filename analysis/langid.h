/* langid.h: the language of a text (ISO 639-1), from character n-grams: a naive Bayes
 * model over the lower-cased 1-3 letter sequences of its words, trained by
 * tools/langid_train.c and shipped in data/langid_model.bin (embedded at build time).
 * Pure: text in, a code and a confidence out. */
#ifndef ARTICLED_LANGID_H
#define ARTICLED_LANGID_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/error.h"

/* At most this many bytes of a text are read (the cost of a detection is bounded by it;
 * a paragraph is plenty: see README "Languages"). */
#define LANGID_MAX_BYTES 1024
/* Fewer letters than this: "unknown" (a name, a number, a word or two). */
#define LANGID_MIN_LETTERS 12
/* The model file's largest n-gram (features are 1..LANGID_MAX_N code points). */
#define LANGID_MAX_N 3

struct langid_result {
    char code[3];      /* "de"; "" when unknown */
    double confidence; /* 0..1: the best language's share against the runner-up */
    size_t letters;    /* letters read */
};

struct langid_model;

/* Parses a model file from data[0..len) (read, not kept). Returns 0 and a new model in *out
 * (free with langid_model_free), or -1 with err filled.
 * Format, little-endian: "ARTLID01"; u32 nlang; u32 nent; per language: 2 bytes code,
 * u8 unseen (the cost of an n-gram it does not list, in 1/16 nats); per entry, sorted by
 * hash then language: u32 hash, u8 language index, u8 cost in 1/16 nats. */
int langid_model_load(const unsigned char *data, size_t len, struct langid_model **out,
                      struct error *err);
void langid_model_free(struct langid_model *m);

/* The model shipped in the binary, parsed once (thread-safe); NULL if it fails to parse
 * (a broken build: detection then always answers unknown). */
const struct langid_model *langid_default(void);

/* Number of languages of m and the code of language i. */
size_t langid_model_nlang(const struct langid_model *m);
const char *langid_model_code(const struct langid_model *m, size_t i);

/* Detects the language of text[0..len) (valid UTF-8; only its first LANGID_MAX_BYTES are
 * read) with m (NULL: langid_default()). Returns 0 and fills *out, or 1 and out->code ""
 * when the text is too short (fewer than LANGID_MIN_LETTERS letters), has no letters or
 * is ambiguous (confidence below min_confidence). Never fails otherwise. */
int langid_detect(const struct langid_model *m, const char *text, size_t len, double min_confidence,
                  struct langid_result *out);

/* The n-gram features of text[0..len) as langid_detect sees them (the training tool uses
 * this so both sides agree): fn is called with each feature's hash; returns the number of
 * letters read. Reads at most max bytes (0: no bound). */
typedef void (*langid_feature_fn)(uint32_t hash, void *arg);
size_t langid_features(const char *text, size_t len, size_t max, langid_feature_fn fn, void *arg);

/* True for a two-letter ISO 639-1 shape (two ASCII letters, any case). */
int langid_code_valid(const char *s);

#endif
