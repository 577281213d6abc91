// GDCM sizes its buffers from the file's own claims before reading them: a 1 KiB file whose element
// says "2 GiB follow" makes it allocate (and zero) 2 GiB. C++ lets a program replace the global
// `operator new`; this one is malloc with the standard new-handler loop, plus a per-thread cap that
// dicom_shim.cpp sets around its GDCM calls (the file's size while parsing, the checked pixel buffer
// while decoding). An allocation over the cap throws std::bad_alloc, which GDCM passes up to the shim,
// which reports the file as damaged. Everywhere else (no cap set) nothing changes.
#include <cstdlib>
#include <new>

#include "alloc_cap.h"

thread_local size_t caslite_alloc_cap = 0;

void *operator new(std::size_t n) {
    if (caslite_alloc_cap != 0 && n > caslite_alloc_cap) throw std::bad_alloc();
    if (n == 0) n = 1;
    for (;;) {
        if (void *p = std::malloc(n)) return p;
        std::new_handler h = std::get_new_handler();
        if (!h) throw std::bad_alloc();
        h();
    }
}

void operator delete(void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
