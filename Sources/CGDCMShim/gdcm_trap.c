// Crafted DICOM files reach code paths of libgdcm that end the process: Debian builds GDCM with its
// `assert`s enabled, some malformed headers make it divide by zero (SIGFPE), and some damaged
// compressed or encapsulated pixel data make it read past a buffer (SIGSEGV; found by 20 000 fuzz
// cases). While the current thread is inside a GDCM call of this shim (`caslite_gdcm_trap` set), each
// of these jumps back to that call, which reports an error and poisons its handle (dicom_shim.cpp);
// anywhere else nothing changes.
//
// - Assertions: this file defines glibc's `__assert_fail` in the executable, which takes precedence
//   over libc's for every shared library (ELF symbol interposition). Outside a GDCM call it prints
//   glibc's message and aborts, as before. (<assert.h> is not included: its declaration is the same.)
// - SIGFPE, SIGSEGV, SIGBUS: handlers installed once; outside a GDCM call a handler puts the previous
//   one back (Swift's crash backtracer) and returns, so the faulting instruction runs again and
//   faults to that handler.
// - The limit of this: a memory fault inside GDCM may follow writes that corrupted the heap without
//   faulting; continuing is a bet that the fault was an over-read (the usual case, and the one the
//   fuzzer found). Decoding in a separate process is the real fix (docs/decisions/018-dicom.md).
//   A stack overflow still ends the process (the handler has no stack to run on).
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

static struct sigaction previous[3];
static const int trapped_signals[3] = {SIGFPE, SIGSEGV, SIGBUS};

static void on_fault(int sig, siginfo_t *info, void *context) {
    (void)info;
    (void)context;
    if (caslite_gdcm_trap) {
        // snprintf is not async-signal-safe; fixed strings are
        static const char fpe[] = "GDCM stopped on an arithmetic fault (a division by zero from the file's header)";
        static const char mem[] = "GDCM stopped on a memory fault (it read outside its buffers: damaged pixel data)";
        if (sig == SIGFPE) memcpy(caslite_gdcm_trap_message, fpe, sizeof fpe);
        else memcpy(caslite_gdcm_trap_message, mem, sizeof mem);
        siglongjmp(*caslite_gdcm_trap, 1);
    }
    for (int i = 0; i < 3; i++) {
        if (trapped_signals[i] == sig) sigaction(sig, &previous[i], NULL);
    }
}

static void install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; i++) sigaction(trapped_signals[i], &sa, &previous[i]);
}

void caslite_gdcm_trap_install(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install);
}
