/* routes.c: the route table (see routes.h). One row per method and path;
 * openapi.yaml lists exactly these operations (tests/api/test_contract.c). */
#include "handlers/routes.h"

#include "handlers/handlers.h"

/* Short names for the columns, so that one row stays one line. */
#define OPEN  AUTH_ROLE_NONE
#define READ  AUTH_ROLE_READ
#define WRITE AUTH_ROLE_WRITE
#define NONE  ROUTE_BODY_NONE
#define JSON  ROUTE_BODY_ARTICLE
#define BULK  ROUTE_BODY_BULK
#define RT    ROUTE_READ_THREAD
#define RL    ROUTE_RATE_LIMIT

/* Order matters only where two patterns match one path: none do today.
 * Health checks and metrics stay on the HTTP threads, so they answer at
 * once however busy the read threads are. POST /v1/duplicates/_check changes
 * nothing but is a POST: it needs a write key, as every POST does; it is a
 * pipeline job (analysed on the pipeline's threads), not a read. POST
 * /v1/search/_multi is a read sent as a POST (its queries are a body): a
 * read key does, and it runs on a read thread. The desk page and its assets
 * need no key, even when reads do: they are the same public bytes in every
 * binary and hold no data; the page asks the editor for the read key when the
 * API answers 401 (README "The desk"). They answer on the HTTP threads (static
 * bytes, no store). */
static const struct route routes[] = {
    /* method, pattern, handler, key role, body, flags */
    {"GET", "/healthz", handle_healthz, OPEN, NONE, 0},
    {"GET", "/readyz", handle_readyz, OPEN, NONE, 0},
    {"GET", "/metrics", handle_metrics, READ, NONE, 0},
    {"GET", "/openapi.yaml", handle_openapi, READ, NONE, 0},
    {"GET", "/", handle_desk_page, OPEN, NONE, 0},
    {"GET", "/desk/{file}", handle_desk_asset, OPEN, NONE, 0},
    {"POST", "/v1/articles/_bulk", handle_bulk, WRITE, BULK, 0},
    {"POST", "/v1/articles", handle_article_create, WRITE, JSON, 0},
    {"GET", "/v1/articles", handle_article_list, READ, NONE, RT},
    {"GET", "/v1/articles/{id}", handle_article_get, READ, NONE, RT},
    {"PUT", "/v1/articles/{id}", handle_article_put, WRITE, JSON, 0},
    {"DELETE", "/v1/articles/{id}", handle_article_delete, WRITE, NONE, 0},
    {"GET", "/v1/articles/{id}/duplicates", handle_article_duplicates, READ, NONE, RT},
    {"POST", "/v1/duplicates/_check", handle_duplicates_check, WRITE, JSON, 0},
    {"GET", "/v1/articles/{id}/entities", handle_article_entities, READ, NONE, RT},
    {"GET", "/v1/entities", handle_entity_list, READ, NONE, RT},
    {"GET", "/v1/entities/{id}", handle_entity_get, READ, NONE, RT},
    {"GET", "/v1/entities/{id}/articles", handle_entity_articles, READ, NONE, RT},
    {"GET", "/v1/entities/{id}/related", handle_entity_related, READ, NONE, RT},
    {"GET", "/v1/stories", handle_story_list, READ, NONE, RT},
    {"GET", "/v1/stories/{id}", handle_story_get, READ, NONE, RT},
    {"GET", "/v1/stories/{id}/articles", handle_story_articles, READ, NONE, RT},
    {"GET", "/v1/stories/{id}/timeline", handle_story_timeline, READ, NONE, RT},
    {"GET", "/v1/entities/{id}/timeline", handle_entity_timeline, READ, NONE, RT},
    {"PUT", "/v1/entities/{id}", handle_entity_put, WRITE, JSON, 0},
    {"POST", "/v1/entities/{id}/_merge", handle_entity_merge, WRITE, JSON, 0},
    {"POST", "/v1/entities/{id}/_block", handle_entity_block, WRITE, NONE, 0},
    {"DELETE", "/v1/entities/{id}/_block", handle_entity_unblock, WRITE, NONE, 0},
    {"GET", "/v1/search", handle_search, READ, NONE, RT | RL},
    {"POST", "/v1/search/_multi", handle_search_multi, READ, JSON, RT | RL},
    {"GET", "/v1/sources", handle_source_list, READ, NONE, RT},
    {"GET", "/v1/tags", handle_tag_list, READ, NONE, RT},
    {"GET", "/v1/changes", handle_changes, READ, NONE, RT},
    {"GET", "/v1/events", handle_events, READ, NONE, 0},
    {"GET", "/v1/synonyms", handle_synonyms, READ, NONE, 0},
    {"POST", "/v1/admin/snapshot", handle_admin_snapshot, WRITE, NONE, 0},
};

const struct route *routes_table(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
