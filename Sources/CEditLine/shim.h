// libedit's readline-compatible interface (Debian libedit-dev): line editing, history and completion for `caslite shell`.
#include <stdio.h>
#include <editline/readline.h>

/// Standard output line-buffered (Swift 6 cannot name C's `stdout` global): log lines are written whole.
static inline void caslite_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }
