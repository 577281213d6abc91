#ifndef CASLITE_ALLOC_CAP_H
#define CASLITE_ALLOC_CAP_H
// The allocation cap of alloc_cap.cpp (internal to the shim, C++ only).
#include <cstddef>

/// The largest single `operator new` this thread may make; 0 = no cap.
extern thread_local std::size_t caslite_alloc_cap;

#endif
