/* tool_util.h: what the tools in tools/ share (every other .c file there is
 * one executable). */
#ifndef ARTICLED_TOOL_UTIL_H
#define ARTICLED_TOOL_UTIL_H

#include <stddef.h>

struct pipeline;
struct pipeline_job;

/* The whole file at path, NUL-terminated, its length in *len; NULL when it
 * cannot be opened or read. The caller frees it. */
char *tool_read_file(const char *path, size_t *len);

/* Where the first `lines` lines of text[0, len) end (past their newlines). */
size_t tool_lines_end(const char *text, size_t len, size_t lines);

/* Runs text[0, len) (NDJSON lines) through pl as one _bulk job, as the service
 * does, and waits until the pipeline lets go of it. Returns the finished job
 * (the caller reads its ops and bad lines, then frees it with
 * pipeline_job_release), or NULL when it could not be made or was refused (a
 * message on stderr, `who` first). */
struct pipeline_job *tool_bulk_run(struct pipeline *pl, const char *text, size_t len,
                                   const char *who);

#endif
