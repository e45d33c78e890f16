/* error.c: filling struct error (see error.h). */
#include "analysis/error.h"

#include <stdio.h>
#include <string.h>

static void error_vset(struct error *e, enum error_code code, const char *field, const char *fmt,
                       va_list ap)
{
    if (e == NULL)
        return;
    e->code = code;
    snprintf(e->field, sizeof e->field, "%s", field ? field : "");
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

void error_set(struct error *e, enum error_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(e, code, NULL, fmt, ap);
    va_end(ap);
}

void error_set_field(struct error *e, enum error_code code, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(e, code, field, fmt, ap);
    va_end(ap);
}

void error_clear(struct error *e)
{
    if (e == NULL)
        return;
    memset(e, 0, sizeof *e);
}
