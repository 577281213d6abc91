// libjpeg-turbo shim: libjpeg reports fatal errors by calling error_exit, whose default calls exit().
// Swift cannot setjmp/longjmp, so every libjpeg call that can fail lives in jpeg_shim.c behind a
// setjmp; failures come back as a return value < 0 plus a message in `err`.
#pragma once
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Pixel layouts the shim reads and writes (interleaved, 8 bits per sample).
typedef enum {
    JPEGSHIM_GRAY = 1, ///< 1 sample: luma
    JPEGSHIM_RGB = 3,  ///< 3 samples: R G B
    JPEGSHIM_RGBA = 4, ///< 4 samples: R G B A (A = 255 on decode, ignored on encode)
    JPEGSHIM_BGR = 5,  ///< 3 samples: B G R
    JPEGSHIM_BGRA = 6, ///< 4 samples: B G R A
    JPEGSHIM_CMYK = 7, ///< encode only: 4 samples stored as given (Adobe convention: inverted ink)
} jpegshim_layout;

/// Header facts, read without decoding any scan data.
typedef struct {
    int width;
    int height;
    int components;    ///< components in the file (1 gray, 3 YCbCr/RGB, 4 CMYK/YCCK)
    int color_space;   ///< libjpeg J_COLOR_SPACE of the file
    int progressive;   ///< 1 if SOF2 (progressive), else 0
    int adobe_inverted;///< 1 if an Adobe APP14 marker was seen (CMYK stored inverted)
} jpegshim_info;

/// Reads the header. Returns 0, or -1 with a message in err.
int jpegshim_probe(const unsigned char *data, size_t len, jpegshim_info *info, char *err, size_t errlen);

/// Decodes into `out` (exactly width*height*samples(layout) bytes, row-major, no padding).
/// `scale_denom` is 1, 2, 4 or 8 (libjpeg DCT scaling; output size = ceil(size/scale_denom)).
/// With `strict` != 0, any libjpeg warning (e.g. "Premature end of JPEG file") is an error.
/// Returns 0, or -1 with a message in err. `*out_w`/`*out_h` receive the output size.
int jpegshim_decode(const unsigned char *data, size_t len, int layout, int scale_denom, int strict,
                    unsigned char *out, size_t out_len, int *out_w, int *out_h, char *err, size_t errlen);

/// Encodes `pixels` (width*height*samples(layout) bytes) with quality 1...100, optionally progressive.
/// On success returns 0 and sets *out (free with jpegshim_free) and *out_len.
int jpegshim_encode(const unsigned char *pixels, int width, int height, int layout, int quality,
                    int progressive, unsigned char **out, unsigned long *out_len, char *err, size_t errlen);

/// Frees a buffer returned by jpegshim_encode.
void jpegshim_free(void *p);

#ifdef __cplusplus
}
#endif
