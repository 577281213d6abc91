// Crafted DICOM files reach code paths of libgdcm that end the process: Debian builds GDCM with its
// `assert`s enabled, and some malformed headers make it divide by zero (SIGFPE). While the current
// thread is inside a GDCM call of this shim (`caslite_gdcm_trap` set), both jump back to that call,
// which reports an error and poisons its handle (dicom_shim.cpp); anywhere else nothing changes.
//
// - Assertions: this file defines glibc's `__assert_fail` in the executable, which takes precedence
//   over libc's for every shared library (ELF symbol interposition). Outside a GDCM call it prints
//   glibc's message and aborts, as before. (<assert.h> is not included: its declaration is the same.)
// - SIGFPE: a handler installed once; outside a GDCM call it puts the previous handler back (Swift's
//   crash backtracer) and returns, so the faulting instruction runs again and faults to that handler.
//   Memory faults (SIGSEGV) are deliberately not caught: after one, the heap cannot be trusted.
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdcm_trap.h"

_Thread_local sigjmp_buf *caslite_gdcm_trap = NULL;
_Thread_local char caslite_gdcm_trap_message[256];

__attribute__((noreturn)) void __assert_fail(const char *assertion, const char *file, unsigned int line, const char *function) {
    if (caslite_gdcm_trap) {
        snprintf(caslite_gdcm_trap_message, sizeof caslite_gdcm_trap_message, "GDCM's internal check failed (%s, %s:%u)",
                 assertion, file, line);
        siglongjmp(*caslite_gdcm_trap, 1);
    }
    fprintf(stderr, "%s:%u: %s: Assertion `%s' failed.\n", file, line, function, assertion);
    fflush(stderr);
    abort();
}

static struct sigaction previous_fpe;

static void on_fpe(int sig, siginfo_t *info, void *context) {
    (void)info;
    (void)context;
    if (caslite_gdcm_trap) {
        // snprintf is not async-signal-safe; a fixed string is
        static const char msg[] = "GDCM stopped on an arithmetic fault (a division by zero from the file's header)";
        memcpy(caslite_gdcm_trap_message, msg, sizeof msg);
        siglongjmp(*caslite_gdcm_trap, 1);
    }
    sigaction(sig, &previous_fpe, NULL);
}

static void install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fpe;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGFPE, &sa, &previous_fpe);
}

void caslite_gdcm_trap_install(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install);
}
