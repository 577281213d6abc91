// libhdf5-dev (Debian: headers in /usr/include/hdf5/serial, found through pkg-config "hdf5").
// Swift code does not import this module: every HDF5 call is in Sources/CHDF5Shim/h5_shim.c.
#include <hdf5.h>
