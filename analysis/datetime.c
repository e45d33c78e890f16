/* datetime.c: strict RFC 3339 parsing (see datetime.h). */
#include "analysis/datetime.h"

#include <stdio.h>

static int dt_digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int dt_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t dt_days(int y, int m, int d)
{
    int64_t yy = y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int datetime_parse(const char *s, size_t len, int allow_date, int64_t *secs)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0;
    size_t i;

    if (len < 10 || dt_digits(s, 4, &y) || s[4] != '-' || dt_digits(s + 5, 2, &mo) || s[7] != '-' ||
        dt_digits(s + 8, 2, &d))
        return -1;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && dt_leap(y)))
        return -1;
    if (len == 10) {
        if (!allow_date)
            return -1;
        *secs = dt_days(y, mo, d) * 86400;
        return 0;
    }
    if (len < 20 || (s[10] != 'T' && s[10] != 't') || dt_digits(s + 11, 2, &h) || s[13] != ':' ||
        dt_digits(s + 14, 2, &mi) || s[16] != ':' || dt_digits(s + 17, 2, &se))
        return -1;
    if (h > 23 || mi > 59 || se > 60)
        return -1;
    i = 19;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return -1;
    }
    if (i == len)
        return -1;
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
        sign = 0;
    } else if ((s[i] == '+' || s[i] == '-') && i + 6 == len) {
        sign = s[i] == '+' ? 1 : -1;
        if (dt_digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || dt_digits(s + i + 4, 2, &om) ||
            oh > 23 || om > 59)
            return -1;
    } else {
        return -1;
    }
    if (se == 60)
        se = 59; /* a leap second sorts with the second before it */
    *secs = dt_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - sign * (oh * 3600 + om * 60);
    return 0;
}

void datetime_format(int64_t secs, char *out, size_t size)
{
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t rem = secs - days * 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    snprintf(out, size, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", (long long)y, (long long)m,
             (long long)d, (long long)(rem / 3600), (long long)(rem % 3600 / 60),
             (long long)(rem % 60));
}
