/* fuzz.h: what every libFuzzer harness in tests/fuzz/ shares: a check that reports which
 * invariant broke (with the harness's own file:line) and aborts, so libFuzzer saves the input. */
#ifndef ARTICLED_FUZZ_H
#define ARTICLED_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Aborts with a message naming the broken invariant when cond is false. */
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, #cond);           \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Returns a NUL-terminated copy of data[0..size) (caller frees); aborts when out of memory. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_CHECK(s != NULL, "out of memory");
    for (size_t i = 0; i < size; i++)
        s[i] = (char)data[i];
    s[size] = '\0';
    return s;
}

/* 1 when the comma-separated list in the environment variable FUZZ_KNOWN names this known,
 * still open finding: a long exploratory run can then step over it and look for others. CI
 * leaves FUZZ_KNOWN unset, so every open finding fails the run. */
static inline int fuzz_known(const char *name)
{
    const char *list = getenv("FUZZ_KNOWN");
    size_t n = strlen(name);

    for (const char *p = list; p != NULL && *p != '\0'; p += strcspn(p, ",")) {
        p += *p == ',';
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
