/* pipeline.h: the one path every write takes from a request to the disk.
 *
 *   parse -> validate -> analyse -> resolve -> write op -> writer -> commit -> answer
 *
 * A handler turns a request into a job (pipeline_job_new, fill the inputs,
 * pipeline_submit) and the job's outcome back into an answer; it never runs
 * analysis, talks to the writer or starts a thread itself. The pipeline runs
 * each job on one of its lanes: single articles and duplicate checks on the
 * analysis threads, _bulk requests one at a time on the bulk thread (in line
 * order, chunks queued for the writer while the next lines are analysed),
 * snapshots on the maintenance thread. The per-article work is the stage
 * list (stages.h): adding a stage is one file and one line there.
 *
 * Ownership: a job has two owners, its submitter and the pipeline. Each lets
 * go with pipeline_job_release; the last one frees the job and everything it
 * holds (the body it was given, its ops, answers, chunks). The pipeline lets
 * go after the job's last notify returned. */
#ifndef ARTICLED_PIPELINE_H
#define ARTICLED_PIPELINE_H

#include <stdatomic.h>
#include <stddef.h>

#include "analysis/error.h"
#include "store/store.h"

struct entity_extractor;
struct pipeline;

enum pipeline_kind {
    PIPELINE_CREATE,   /* one JSON article; ERR_CONFLICT when its id exists */
    PIPELINE_PUT,      /* one JSON article under id: create or replace */
    PIPELINE_DELETE,   /* the article id */
    PIPELINE_BULK,     /* NDJSON, one article a line, each created or replaced */
    PIPELINE_CHECK,    /* one JSON article: its copies already stored, nothing written */
    PIPELINE_SNAPSHOT, /* a consistent copy of the database to snapshot_path */
    PIPELINE_CURATE    /* an entity curation (curate), on the maintenance lane */
};

/* A _bulk line refused before the writer (parse, validation, analysis). */
struct pipeline_bad {
    size_t line;
    char *id; /* the line's id when it had one, else NULL */
    struct error err;
};

struct pipeline_job;

/* Called with news of the job: on the writer's thread when a chunk (or the
 * single op) committed, on a pipeline thread when the analysis ended or the
 * job failed or finished. Must not block; typically resumes a request. */
typedef void (*pipeline_notify_fn)(struct pipeline_job *job, void *arg);

struct pipeline_job {
    /* ---- in: set before pipeline_submit ---- */
    enum pipeline_kind kind;
    char *body; /* the request body (owned: freed with body_free) */
    size_t body_len;
    void (*body_free)(char *body); /* NULL: the pipeline config's */
    char *id;               /* PUT's path id, DELETE's id (owned), else NULL */
    double min_containment; /* near copies reported from this containment */
    char *snapshot_path;    /* SNAPSHOT: the file to write (owned) */
    /* SNAPSHOT: after writing, keep only the newest snapshot_keep files of
     * the folder named snapshot_prefix*.db (static string; NULL, 0: none) */
    const char *snapshot_prefix;
    unsigned snapshot_keep;
    unsigned long long snapshot_min_free;
    /* CURATE: what to do (its strings owned by the job); ops[0] holds the
     * outcome once finished */
    struct store_curate curate;
    pipeline_notify_fn notify;
    void *notify_arg;
    /* frees notify_arg when the job is freed (may be NULL): state that
     * notify reads lives as long as the job */
    void (*state_free)(void *arg);

    /* ---- out ---- */
    /* the job as a whole failed (a single article's parse or validation
     * error, the store refusing it while shutting down...); then ops are
     * not to be read */
    struct error err;
    /* the articles that reached the writer, in line order (one for a single
     * write or a check); op.failed and op.err say what the writer did */
    struct store_op *ops;
    size_t nops;
    size_t *op_line; /* BULK: each op's line number */
    struct pipeline_bad *bad;
    size_t nbad;
    /* BULK: ops [chunks[i].ops, +nops) commit together; committed[i] is 1
     * once that transaction ended (chunks end in order) */
    struct store_batch *chunks;
    atomic_int *committed;
    size_t nchunks;
    /* BULK: ops below this the submitter has answered and trimmed
     * (pipeline_op_trim): the analysis no longer reads them. Written by the
     * submitter from its progress callback or after `analysed`. */
    size_t released;
    /* BULK: called on the bulk thread between lines while the analysis
     * runs, when chunks committed since the last call: the submitter answers
     * their ops there (nothing else touches them meanwhile). NULL: none. */
    pipeline_notify_fn progress;
    atomic_int analysed; /* 1: no more ops come; progress is not called again */
    atomic_int finished; /* 1: every op's outcome is final; the last notify */
    /* CHECK: ids of stored exact copies (oldest first) */
    char **exact_ids;
    size_t nexact;
    int id_given; /* CHECK: the body named its id (it is then excluded) */
    /* SNAPSHOT */
    struct store_snapshot_info snapshot;

    /* ---- private ---- */
    atomic_int refs;
    atomic_int pending; /* chunks not committed, +1 while the analysis runs */
    size_t nalloc;      /* ops allocated */
    struct pipeline *p;
};

struct pipeline_config {
    struct store *store;
    const struct entity_extractor *extractor; /* NULL: no entities */
    int duplicates;                           /* fingerprints and near copies */
    size_t max_line;                          /* BULK: a longer line is refused (413) */
    unsigned threads;                         /* analysis threads (at least 1) */
    atomic_int *stopping;                     /* set when the service stops */
    /* frees a job's body; and gives back the pages of body[0, upto) that a
     * _bulk has read (may be NULL: nothing given back early) */
    void (*body_free)(char *body);
    void (*body_consumed)(const char *body, size_t len, size_t upto);
};

/* A new pipeline (its threads started), or NULL with err. */
struct pipeline *pipeline_new(const struct pipeline_config *cfg, struct error *err);

/* Waits for every submitted job's last notify (a running snapshot stops
 * early once *stopping is set), then stops the threads and frees p.
 * NULL-safe. Jobs submitted meanwhile are refused. */
void pipeline_free(struct pipeline *p);

/* Waits until every submitted job has sent its last notify. */
void pipeline_drain(struct pipeline *p);

/* A zeroed job of kind with one reference (the submitter's), or NULL. */
struct pipeline_job *pipeline_job_new(enum pipeline_kind kind);

/* Lets go of one reference; the last one frees the job. NULL-safe. Has the
 * signature of a state free function (http_request_suspend). */
void pipeline_job_release(void *job);

/* Hands job to the pipeline, which takes a reference of its own and notifies
 * as it goes. Returns 0; or -1 with job->err set when it is refused at once
 * (ERR_CONFLICT: a snapshot is already being written; ERR_UNAVAILABLE:
 * stopping), and then notify is never called. */
int pipeline_submit(struct pipeline *p, struct pipeline_job *job);

/* Frees what an answered op no longer needs, keeping what later ops of the
 * same _bulk read (id, content hash, seq, group, outcome). */
void pipeline_op_trim(struct store_op *op);

#endif
