/* tool_util.h: what the tools in tools/ share (every other .c file there is
 * one executable). */
#ifndef ARTICLED_TOOL_UTIL_H
#define ARTICLED_TOOL_UTIL_H

#include <stddef.h>

/* The whole file at path, NUL-terminated, its length in *len; NULL when it
 * cannot be opened or read. The caller frees it. */
char *tool_read_file(const char *path, size_t *len);

#endif
