/* auth.c: the API key table and request decisions (see auth.h). The table
 * holds SHA-256 digests of the keys, never the keys; a look-up hashes the
 * presented key and compares it with every digest without an early exit, so
 * the time taken does not depend on which key (or how much of one) matched. */
#include "server/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* A key file larger than this is refused (10,000 keys fit easily). */
#define AUTH_FILE_MAX (4u << 20)

struct auth_key {
    uint8_t digest[SHA256_DIGEST_SIZE];
    enum auth_role role;
    char name[AUTH_NAME_MAX + 1];
};

struct auth {
    struct auth_key *keys;
    size_t n;
};

static void auth_digest(const char *key, size_t len, uint8_t out[SHA256_DIGEST_SIZE])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, len, (const uint8_t *)key);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

static int auth_name_valid(const char *s, size_t n)
{
    if (n == 0 || n > AUTH_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* 1 when every byte is visible ASCII (no spaces, no controls). */
static int auth_key_chars_valid(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

/* Splits line into at most max whitespace-separated fields (pointers into
 * line, NUL-terminated in place). Returns the number of fields, or max + 1
 * when there are more. */
static size_t auth_split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;

    for (;;) {
        p += strspn(p, " \t");
        if (*p == '\0')
            return n;
        if (n == max)
            return max + 1;
        fields[n++] = p;
        p += strcspn(p, " \t");
        if (*p == '\0')
            return n;
        *p++ = '\0';
    }
}

/* Parses one non-comment line into k. Returns 0, or -1 with err. */
static int auth_parse_line(char *line, const char *path, size_t lineno, struct auth_key *k,
                           struct error *err)
{
    char *f[3];
    size_t n = auth_split(line, f, 3), klen;

    if (n != 3) {
        error_set(err, ERR_INVALID,
                  "%s:%zu: expected '<key> <role> <name>' (3 fields separated by spaces), "
                  "found %s%zu",
                  path, lineno, n > 3 ? "more than " : "", n > 3 ? (size_t)3 : n);
        return -1;
    }
    klen = strlen(f[0]);
    if (!auth_key_chars_valid(f[0], klen)) {
        error_set(err, ERR_INVALID, "%s:%zu: a key may only hold visible ASCII characters", path,
                  lineno);
        return -1;
    }
    if (klen < AUTH_KEY_MIN || klen > AUTH_KEY_MAX) {
        error_set(err, ERR_INVALID, "%s:%zu: the key is %zu bytes; keys must have %d to %d", path,
                  lineno, klen, AUTH_KEY_MIN, AUTH_KEY_MAX);
        return -1;
    }
    if (strcmp(f[1], "read") == 0) {
        k->role = AUTH_ROLE_READ;
    } else if (strcmp(f[1], "write") == 0) {
        k->role = AUTH_ROLE_WRITE;
    } else {
        error_set(err, ERR_INVALID, "%s:%zu: the role must be 'read' or 'write'", path, lineno);
        return -1;
    }
    if (!auth_name_valid(f[2], strlen(f[2]))) {
        error_set(err, ERR_INVALID, "%s:%zu: the name must match [A-Za-z0-9._-]{1,%d}", path,
                  lineno, AUTH_NAME_MAX);
        return -1;
    }
    memcpy(k->name, f[2], strlen(f[2]) + 1);
    auth_digest(f[0], klen, k->digest);
    return 0;
}

/* Reads the whole file, refusing what others may read. Returns a new
 * NUL-terminated buffer or NULL with err. */
static char *auth_read_file(const char *path, size_t *outlen, struct error *err)
{
    struct stat sb;
    char *text = NULL;
    size_t len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        error_set(err, ERR_INVALID, "cannot open the API key file %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        error_set(err, ERR_INVALID, "the API key file %s is not a regular file", path);
        goto fail;
    }
    if ((sb.st_mode & 077) != 0) {
        error_set(err, ERR_INVALID,
                  "the API key file %s may be accessed by group or others (mode %04o): "
                  "run chmod 600 on it",
                  path, (unsigned)(sb.st_mode & 07777));
        goto fail;
    }
    if ((unsigned long long)sb.st_size > AUTH_FILE_MAX) {
        error_set(err, ERR_INVALID, "the API key file %s is larger than %u bytes", path,
                  AUTH_FILE_MAX);
        goto fail;
    }
    text = malloc((size_t)sb.st_size + 1);
    if (text == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        goto fail;
    }
    while (len < (size_t)sb.st_size) {
        ssize_t r = read(fd, text + len, (size_t)sb.st_size - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            error_set(err, ERR_INVALID, "cannot read the API key file %s", path);
            goto fail;
        }
        len += (size_t)r;
    }
    text[len] = '\0';
    if (strlen(text) != len) {
        error_set(err, ERR_INVALID, "the API key file %s holds a NUL byte", path);
        goto fail;
    }
    close(fd);
    *outlen = len;
    return text;
fail:
    free(text);
    close(fd);
    return NULL;
}

int auth_load(const char *path, struct auth **out, struct error *err)
{
    struct auth *a = calloc(1, sizeof *a);
    char *text = NULL, *line, *next;
    size_t text_len = 0, lineno = 0, cap = 0;

    *out = NULL;
    if (a == NULL) {
        error_set(err, ERR_INTERNAL, "out of memory");
        return -1;
    }
    text = auth_read_file(path, &text_len, err);
    if (text == NULL)
        goto fail;
    for (line = text; line != NULL; line = next) {
        struct auth_key k;
        char *nl = strchr(line, '\n');
        size_t len;

        next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        lineno++;
        len = strlen(line);
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        line += strspn(line, " \t");
        if (*line == '\0' || *line == '#')
            continue;
        if (auth_parse_line(line, path, lineno, &k, err) != 0)
            goto fail;
        for (size_t i = 0; i < a->n; i++) {
            if (memcmp(a->keys[i].digest, k.digest, sizeof k.digest) == 0) {
                error_set(err, ERR_INVALID, "%s:%zu: this key is also on an earlier line", path,
                          lineno);
                goto fail;
            }
            if (strcmp(a->keys[i].name, k.name) == 0) {
                error_set(err, ERR_INVALID, "%s:%zu: the name '%s' is also on an earlier line",
                          path, lineno, k.name);
                goto fail;
            }
        }
        if (a->n == AUTH_KEYS_MAX) {
            error_set(err, ERR_INVALID, "%s: more than %d keys", path, AUTH_KEYS_MAX);
            goto fail;
        }
        if (a->n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct auth_key *bigger = realloc(a->keys, ncap * sizeof *bigger);
            if (bigger == NULL) {
                error_set(err, ERR_INTERNAL, "out of memory");
                goto fail;
            }
            a->keys = bigger;
            cap = ncap;
        }
        a->keys[a->n++] = k;
    }
    if (a->n == 0) {
        error_set(err, ERR_INVALID, "the API key file %s holds no keys", path);
        goto fail;
    }
    /* the file's text held the keys: wipe it before it goes back to malloc */
    explicit_bzero(text, text_len);
    free(text);
    *out = a;
    return 0;
fail:
    if (text != NULL) {
        explicit_bzero(text, text_len);
        free(text);
    }
    auth_free(a);
    return -1;
}

void auth_free(struct auth *a)
{
    if (a == NULL)
        return;
    free(a->keys);
    free(a);
}

size_t auth_count(const struct auth *a)
{
    return a ? a->n : 0;
}

/* The configured key equal to token, or NULL. Compares token's digest with
 * every configured digest, always all of them and all of their bytes. */
static const struct auth_key *auth_find(const struct auth *a, const char *token, size_t len)
{
    uint8_t d[SHA256_DIGEST_SIZE];
    size_t found = 0; /* index + 1 of the match; keys are unique */

    auth_digest(token, len, d);
    for (size_t i = 0; i < a->n; i++) {
        unsigned diff = 0;
        size_t mask;
        for (size_t j = 0; j < SHA256_DIGEST_SIZE; j++)
            diff |= (unsigned)(a->keys[i].digest[j] ^ d[j]);
        /* diff is 0..255: (diff - 1) >> 8 is 1 exactly when diff is 0 */
        mask = (size_t)0 - (size_t)(((diff - 1u) >> 8) & 1u);
        found = (found & ~mask) | ((i + 1) & mask);
    }
    return found ? &a->keys[found - 1] : NULL;
}

enum auth_result auth_check(const struct auth *a, const char *authorization, enum auth_role role,
                            int public_read, const char **name)
{
    const struct auth_key *k;
    const char *p, *token;
    size_t len;

    *name = NULL;
    if (a == NULL || role == AUTH_ROLE_NONE)
        return AUTH_OK;
    if (authorization == NULL)
        return role == AUTH_ROLE_READ && public_read ? AUTH_OK : AUTH_MISSING;
    p = authorization + strspn(authorization, " \t");
    if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
        return AUTH_INVALID;
    token = p + 6 + strspn(p + 6, " \t");
    len = strcspn(token, " \t");
    if (token[len + strspn(token + len, " \t")] != '\0' || len == 0 || len > AUTH_KEY_MAX)
        return AUTH_INVALID;
    k = auth_find(a, token, len);
    if (k == NULL)
        return AUTH_INVALID;
    *name = k->name;
    if (k->role < role)
        return AUTH_FORBIDDEN;
    return AUTH_OK;
}
