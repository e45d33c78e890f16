/* datetime.h: RFC 3339 timestamps (and plain dates for filters), parsed
 * strictly into unix seconds and formatted back in UTC. */
#ifndef ARTICLED_DATETIME_H
#define ARTICLED_DATETIME_H

#include <stddef.h>
#include <stdint.h>

/* Parses s[0..len) as an RFC 3339 date-time ("2025-03-01T12:00:00Z",
 * "2025-03-01t12:00:00.250+01:00"); when allow_date is set, a bare full-date
 * "2025-03-01" is also accepted (midnight UTC). Returns 0 and the instant in
 * *secs (fractions dropped), or -1 when it is not a valid timestamp. */
int datetime_parse(const char *s, size_t len, int allow_date, int64_t *secs);

/* Writes secs as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
void datetime_format(int64_t secs, char *out, size_t size);

#endif
