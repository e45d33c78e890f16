/* fuzz_datetime.c: libFuzzer harness for RFC 3339 parsing (analysis/datetime.h). What parses
 * as a date-time also parses with dates allowed, to the same instant; the instant formats as a
 * "YYYY-MM-DDTHH:MM:SSZ" that parses back to itself. */
#include <string.h>

#include "analysis/datetime.h"
#include "fuzz.h"

static void check_format(int64_t secs)
{
    char out[64], small[21];
    int64_t back;

    datetime_format(secs, out, sizeof out);
    datetime_format(secs, small, sizeof small);
    FUZZ_CHECK(strncmp(out, small, sizeof small - 1) == 0, "formats differ by buffer size");
    /* years 1..9999 print in the 20-byte form and must parse back */
    if (strlen(out) == 20 && out[0] != '-' && strncmp(out, "0000", 4) != 0) {
        FUZZ_CHECK(datetime_parse(out, strlen(out), 0, &back) == 0, "'%s' does not parse", out);
        FUZZ_CHECK(back == secs, "'%s' parses to %lld, not %lld", out, (long long)back,
                   (long long)secs);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    int64_t a = 0, b = 0;
    int ra = datetime_parse(s, size, 0, &a);
    int rb = datetime_parse(s, size, 1, &b);

    FUZZ_CHECK(ra == 0 || ra == -1, "rc %d", ra);
    FUZZ_CHECK(rb == 0 || rb == -1, "rc %d", rb);
    if (ra == 0) {
        FUZZ_CHECK(rb == 0 && a == b, "allowing dates changed a date-time's result");
        check_format(a);
    } else if (rb == 0) {
        FUZZ_CHECK(size == 10, "only a bare date may need allow_date (%zu bytes)", size);
        FUZZ_CHECK(b % 86400 == 0, "a bare date is not midnight");
        check_format(b);
    }
    return 0;
}
