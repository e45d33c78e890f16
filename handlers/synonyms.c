/* synonyms.c: GET /v1/synonyms, the search synonyms in force (--synonyms,
 * read again on SIGHUP). The answer's size is bounded by the file's
 * (SYNONYMS_MAX_BYTES). */
#include "analysis/datetime.h"
#include "handlers/handlers.h"
#include "server/reply.h"
#include "server/synset.h"

static json_t *synonyms_terms(const char *const *t, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(t[i]));
    return a;
}

int handle_synonyms(struct app *app, struct http_request *req, struct http_response *res)
{
    struct synset_view v;
    json_t *rules = json_array(), *body;
    const char *path = synset_path(app->synonyms);
    char when[40];
    (void)req;

    synset_acquire(app->synonyms, &v);
    for (size_t i = 0; i < synonyms_rules(v.syn); i++) {
        const char *const *from, *const *to;
        size_t nfrom, nto;
        synonyms_rule(v.syn, i, &from, &nfrom, &to, &nto);
        json_t *r = json_pack("{s:o}", "terms", synonyms_terms(from, nfrom));
        if (to != NULL)
            json_object_set_new(r, "also_finds", synonyms_terms(to, nto));
        json_array_append_new(rules, r);
    }
    if (v.loaded_at > 0)
        datetime_format((int64_t)v.loaded_at, when, sizeof when);
    body = json_pack("{s:o,s:o,s:i,s:o}", "file", path[0] ? json_string(path) : json_null(),
                     "loaded_at", v.loaded_at > 0 ? json_string(when) : json_null(),
                     "generation", (int)v.generation, "rules", rules);
    synset_release(&v);
    reply_json(res, 200, body);
    return HANDLER_DONE;
}
