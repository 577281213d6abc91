#ifndef CASLITE_GDCM_TRAP_H
#define CASLITE_GDCM_TRAP_H
// The trap of gdcm_trap.c (internal to the shim): failed assertions, arithmetic and memory faults
// inside a GDCM call end that call instead of the server.
#include <setjmp.h>

#ifdef __cplusplus
#define CASLITE_THREAD_LOCAL thread_local
extern "C" {
#else
#define CASLITE_THREAD_LOCAL _Thread_local
#endif

/// Where a failed assertion or a SIGFPE/SIGSEGV/SIGBUS jumps while this thread is inside a GDCM call; NULL elsewhere.
extern CASLITE_THREAD_LOCAL sigjmp_buf *caslite_gdcm_trap;
/// What went wrong, for the error message.
extern CASLITE_THREAD_LOCAL char caslite_gdcm_trap_message[256];

/// Installs the fault handlers once (idempotent, thread-safe).
void caslite_gdcm_trap_install(void);

#ifdef __cplusplus
}
#endif
#endif
