#ifndef CASLITE_H5_SHIM_H
#define CASLITE_H5_SHIM_H

// The read-only HDF5 subset DLEngine needs (Caffe weights files), as plain C functions: HDF5's
// H5T_NATIVE_FLOAT, H5P_DEFAULT, H5E_DEFAULT… are macros Swift cannot import, so every HDF5
// call lives in h5_shim.c. Handles are hid_t values (int64_t). Functions that can fail write a
// one-line message (the HDF5 error stack: outermost and innermost descriptions) into `err`.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Opens an in-memory HDF5 file image read-only (the bytes are copied). Returns a file handle
/// (>= 0) or -1.
int64_t caslite_h5_open_image(const void *bytes, size_t size, char *err, size_t errlen);

/// Closes a file handle from caslite_h5_open_image (and everything still open in it).
void caslite_h5_close(int64_t file);

/// What `path` names: 0 nothing (or a soft/external link, which are not followed), 1 group,
/// 2 dataset, 3 another object (named datatype), -1 error.
int caslite_h5_kind(int64_t file, const char *path, char *err, size_t errlen);

/// The number of links in group `path`, or -1.
int64_t caslite_h5_link_count(int64_t file, const char *path, char *err, size_t errlen);

/// The name of link `index` (0-based, in increasing name order) of group `path`, NUL-terminated in
/// `name` (truncated to `namelen`). Returns the full name length, or -1.
int64_t caslite_h5_link_name(int64_t file, const char *path, uint64_t index, char *name, size_t namelen,
                             char *err, size_t errlen);

/// Dataset `path`: its rank (0 for a scalar), the first `maxrank` dimensions in `dims`, and in
/// `typeclass` 1 for floating point, 2 for integer, 0 for anything else. Returns the rank or -1.
int caslite_h5_dataset_info(int64_t file, const char *path, uint64_t *dims, int maxrank, int *typeclass,
                            char *err, size_t errlen);

/// Reads all `count` elements of dataset `path` converted to native float32. 0 or -1.
int caslite_h5_read_float(int64_t file, const char *path, float *out, uint64_t count, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
