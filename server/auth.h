/* auth.h: API keys and roles. Keys come from a file (--api-key-file), one
 * `<key> <role> <name>` a line; a request presents one as
 * `Authorization: Bearer <key>`. Keys are kept only as SHA-256 digests and a
 * presented key is compared with every one of them in constant time. */
#ifndef ARTICLED_AUTH_H
#define ARTICLED_AUTH_H

#include <stddef.h>

#include "analysis/error.h"

#define AUTH_KEY_MIN  16  /* bytes */
#define AUTH_KEY_MAX  256 /* bytes */
#define AUTH_NAME_MAX 64  /* bytes, [A-Za-z0-9._-] */
#define AUTH_KEYS_MAX 10000

/* A key's role, and the role a route needs (struct route.role): a key may
 * do what its role or a lower one needs. */
enum auth_role {
    AUTH_ROLE_NONE = 0,  /* needs no key, and a key sent is not looked at (health checks) */
    AUTH_ROLE_READ = 1,  /* reads: any key, or none with --public-read */
    AUTH_ROLE_WRITE = 2, /* changes: a write key */
};

/* What a request may do. */
enum auth_result {
    AUTH_OK,        /* allowed (*name: the key's name, or NULL when no key was needed) */
    AUTH_MISSING,   /* 401: a key is needed and none was presented */
    AUTH_INVALID,   /* 401: the presented key is malformed or not configured */
    AUTH_FORBIDDEN, /* 403: the key's role is below the one needed (*name is set) */
};

struct auth;

/* Reads the key file at path. Refuses (returns -1 with err) a file that is not
 * a regular file, that group or others may access (mode & 077), a malformed
 * line, a role other than read/write, a key shorter than AUTH_KEY_MIN or longer
 * than AUTH_KEY_MAX bytes, a name not [A-Za-z0-9._-]{1,64}, a duplicate key or
 * name, and a file without keys. Messages name the line, never the key.
 * Returns 0 and a new table in *out (free with auth_free). */
int auth_load(const char *path, struct auth **out, struct error *err);

/* Frees a. NULL-safe. */
void auth_free(struct auth *a);

/* Number of keys. */
size_t auth_count(const struct auth *a);

/* Decides a request to a route that needs role. a NULL means no keys are
 * configured: everything is allowed. authorization is the Authorization
 * header (or NULL); public_read lets AUTH_ROLE_READ requests through without
 * a key (a key that is presented is still checked). *name borrows the
 * matching key's name (valid as long as a) or is NULL. */
enum auth_result auth_check(const struct auth *a, const char *authorization, enum auth_role role,
                            int public_read, const char **name);

#endif
