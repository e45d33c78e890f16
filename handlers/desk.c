/* desk.c: the desk page at / and its assets under /desk/ (README "The desk").
 * The files of desk/ are embedded at build time (CMakeLists.txt, DESK_FILES):
 * no file is read at run time and nothing comes from another origin. Each
 * answer is a copy of a few kilobytes of static bytes, so a request's cost is
 * bounded by the largest asset; an unknown name is a 404 without a lookup
 * beyond this table. */
#include <string.h>

#include "handlers/handlers.h"
#include "server/reply.h"

#define DESK_ASSET(sym)                                                                            \
    extern const unsigned char sym[];                                                              \
    extern const size_t sym##_len;
DESK_ASSET(articled_desk_index_html)
DESK_ASSET(articled_desk_desk_css)
DESK_ASSET(articled_desk_app_js)
DESK_ASSET(articled_desk_api_js)
DESK_ASSET(articled_desk_views_js)
DESK_ASSET(articled_desk_dom_js)
#undef DESK_ASSET

struct desk_file {
    const char *name;
    const char *type;
    const unsigned char *data;
    const size_t *len;
};

static const struct desk_file desk_files[] = {
    {"desk.css", "text/css; charset=utf-8", articled_desk_desk_css, &articled_desk_desk_css_len},
    {"app.js", "text/javascript; charset=utf-8", articled_desk_app_js, &articled_desk_app_js_len},
    {"api.js", "text/javascript; charset=utf-8", articled_desk_api_js, &articled_desk_api_js_len},
    {"views.js", "text/javascript; charset=utf-8", articled_desk_views_js,
     &articled_desk_views_js_len},
    {"dom.js", "text/javascript; charset=utf-8", articled_desk_dom_js, &articled_desk_dom_js_len},
};

/* Scripts and styles from this origin only (no inline code, no eval), calls
 * to this origin only, no plugins, no framing, no <base> rewriting. */
static const char desk_csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

/* A 200 with the file's bytes, revalidated by ETag (the names carry no
 * version, so a browser asks again and gets a 304 while the binary is the
 * same), or the 404 of any unknown path when the desk is off. */
static int desk_reply(struct app *app, struct http_response *res, const char *type,
                      const unsigned char *data, size_t len)
{
    if (!app->cfg.ui) {
        reply_fail(res, ERR_NOT_FOUND, "no resource at this path");
        return HANDLER_DONE;
    }
    reply_revalidate(res);
    reply_text(res, 200, type, (const char *)data, len);
    res->csp = desk_csp;
    return HANDLER_DONE;
}

int handle_desk_page(struct app *app, struct http_request *req, struct http_response *res)
{
    (void)req;
    return desk_reply(app, res, "text/html; charset=utf-8", articled_desk_index_html,
                      articled_desk_index_html_len);
}

int handle_desk_asset(struct app *app, struct http_request *req, struct http_response *res)
{
    for (size_t i = 0; i < sizeof desk_files / sizeof desk_files[0]; i++)
        if (strcmp(req->params[0], desk_files[i].name) == 0)
            return desk_reply(app, res, desk_files[i].type, desk_files[i].data, *desk_files[i].len);
    reply_fail(res, ERR_NOT_FOUND, "no resource at this path");
    return HANDLER_DONE;
}
