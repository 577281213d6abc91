// Every HDF5 call of caslite (read-only: DLPy/SAS Caffe weights files). See include/h5_shim.h.
// Debian's libhdf5 is built thread-safe (H5_HAVE_THREADSAFE), so no lock here; the error stack and
// its auto-print setting are per thread, hence quiet() at the start of every entry point.

#include "h5_shim.h"

#include <hdf5.h>
#include <stdio.h>
#include <string.h>

// H5Fopen with a file image refuses a name that exists on disk ("file already exists"), and never
// touches the file system otherwise: a name that cannot exist. Each open gets its own name: HDF5
// shares one open file between opens whose core-driver names compare equal, so two images opened
// at the same time under one name would both read the first (a truncated file opened while a valid
// one was open "succeeded" with the valid file's contents: the flaky Caffe test).
#define IMAGE_NAME_PREFIX "/nonexistent-caslite-h5-image/"
static _Atomic unsigned long long image_serial;

static void quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

typedef struct {
    char innermost[200];
    char outermost[200];
    int count;
} walk_state;

static herr_t walk(unsigned n, const H5E_error2_t *e, void *data) {
    (void)n;
    walk_state *w = (walk_state *)data;
    const char *d = (e && e->desc) ? e->desc : "";
    if (w->count == 0) snprintf(w->innermost, sizeof w->innermost, "%s", d);
    snprintf(w->outermost, sizeof w->outermost, "%s", d);
    w->count++;
    return 0;
}

// Writes "<what>: <outermost description> (<innermost description>)" and clears the error stack.
static void fail(char *err, size_t errlen, const char *what, const char *path) {
    walk_state w;
    memset(&w, 0, sizeof w);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk, &w);
    H5Eclear2(H5E_DEFAULT);
    if (!err || errlen == 0) return;
    char head[512];
    if (path) snprintf(head, sizeof head, "%s %s", what, path);
    else snprintf(head, sizeof head, "%s", what);
    if (w.count == 0) snprintf(err, errlen, "%s", head);
    else if (w.count == 1 || strcmp(w.innermost, w.outermost) == 0) snprintf(err, errlen, "%s: %s", head, w.innermost);
    else snprintf(err, errlen, "%s: %s (%s)", head, w.outermost, w.innermost);
}

int64_t caslite_h5_open_image(const void *bytes, size_t size, char *err, size_t errlen) {
    quiet();
    if (!bytes || size == 0) {
        if (err && errlen) snprintf(err, errlen, "empty file");
        return -1;
    }
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) { fail(err, errlen, "cannot create a file access property list", NULL); return -1; }
    if (H5Pset_fapl_core(fapl, 1 << 16, 0) < 0 || H5Pset_file_image(fapl, (void *)bytes, size) < 0) {
        fail(err, errlen, "cannot set up the in-memory file driver", NULL);
        H5Pclose(fapl);
        return -1;
    }
    char image_name[96];
    snprintf(image_name, sizeof image_name, IMAGE_NAME_PREFIX "%llu.h5", (unsigned long long)image_serial++);
    hid_t file = H5Fopen(image_name, H5F_ACC_RDONLY, fapl);
    if (file < 0) fail(err, errlen, "cannot open the HDF5 file", NULL);
    H5Pclose(fapl);
    return file < 0 ? -1 : (int64_t)file;
}

void caslite_h5_close(int64_t file) {
    quiet();
    if (file >= 0) H5Fclose((hid_t)file);
    H5Eclear2(H5E_DEFAULT);
}

int caslite_h5_kind(int64_t file, const char *path, char *err, size_t errlen) {
    quiet();
    htri_t exists = H5Lexists((hid_t)file, path, H5P_DEFAULT);
    if (exists < 0) { fail(err, errlen, "cannot look up", path); return -1; }
    if (exists == 0) return 0;
    H5L_info_t link;
    if (H5Lget_info((hid_t)file, path, &link, H5P_DEFAULT) < 0) { fail(err, errlen, "cannot read the link", path); return -1; }
    if (link.type != H5L_TYPE_HARD) return 0;
    hid_t obj = H5Oopen((hid_t)file, path, H5P_DEFAULT);
    if (obj < 0) { fail(err, errlen, "cannot open", path); return -1; }
    H5I_type_t type = H5Iget_type(obj);
    H5Oclose(obj);
    switch (type) {
    case H5I_GROUP: return 1;
    case H5I_DATASET: return 2;
    case H5I_BADID: fail(err, errlen, "cannot identify", path); return -1;
    default: return 3;
    }
}

int64_t caslite_h5_link_count(int64_t file, const char *path, char *err, size_t errlen) {
    quiet();
    H5G_info_t info;
    if (H5Gget_info_by_name((hid_t)file, path, &info, H5P_DEFAULT) < 0) { fail(err, errlen, "cannot list group", path); return -1; }
    return (int64_t)info.nlinks;
}

int64_t caslite_h5_link_name(int64_t file, const char *path, uint64_t index, char *name, size_t namelen,
                             char *err, size_t errlen) {
    quiet();
    ssize_t n = H5Lget_name_by_idx((hid_t)file, path, H5_INDEX_NAME, H5_ITER_INC, (hsize_t)index, name, namelen, H5P_DEFAULT);
    if (n < 0) { fail(err, errlen, "cannot read a link name in group", path); return -1; }
    return (int64_t)n;
}

int caslite_h5_dataset_info(int64_t file, const char *path, uint64_t *dims, int maxrank, int *typeclass,
                            char *err, size_t errlen) {
    quiet();
    hid_t d = H5Dopen2((hid_t)file, path, H5P_DEFAULT);
    if (d < 0) { fail(err, errlen, "cannot open dataset", path); return -1; }
    int rank = -1;
    hid_t space = H5Dget_space(d), type = H5Dget_type(d);
    if (space < 0 || type < 0) {
        fail(err, errlen, "cannot read the dataspace/datatype of", path);
    } else if (H5Sget_simple_extent_type(space) == H5S_NULL) {
        if (err && errlen) snprintf(err, errlen, "dataset %s has no data (null dataspace)", path);
    } else {
        hsize_t all[H5S_MAX_RANK];
        rank = H5Sget_simple_extent_dims(space, all, NULL);
        if (rank < 0) {
            fail(err, errlen, "cannot read the dimensions of", path);
        } else {
            for (int i = 0; i < rank && i < maxrank; i++) dims[i] = (uint64_t)all[i];
            H5T_class_t cls = H5Tget_class(type);
            *typeclass = cls == H5T_FLOAT ? 1 : cls == H5T_INTEGER ? 2 : 0;
        }
    }
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    H5Dclose(d);
    return rank;
}

int caslite_h5_read_float(int64_t file, const char *path, float *out, uint64_t count, char *err, size_t errlen) {
    quiet();
    hid_t d = H5Dopen2((hid_t)file, path, H5P_DEFAULT);
    if (d < 0) { fail(err, errlen, "cannot open dataset", path); return -1; }
    int rc = -1;
    hid_t space = H5Dget_space(d);
    hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    if (n < 0) {
        fail(err, errlen, "cannot read the size of", path);
    } else if ((uint64_t)n != count) {
        if (err && errlen) snprintf(err, errlen, "dataset %s holds %lld values, %llu expected", path, (long long)n, (unsigned long long)count);
    } else if (count == 0) {
        rc = 0;
    } else if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
        fail(err, errlen, "cannot read dataset", path);
    } else {
        rc = 0;
    }
    if (space >= 0) H5Sclose(space);
    H5Dclose(d);
    return rc;
}
