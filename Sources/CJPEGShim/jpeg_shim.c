// libjpeg-turbo behind setjmp: see include/jpeg_shim.h. Every exit path destroys the libjpeg object.
#include "jpeg_shim.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

struct shim_err {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    int strict;        // treat warnings as errors
    int warned;        // a warning was seen (message kept in text)
    char text[JMSG_LENGTH_MAX];
};

static void shim_error_exit(j_common_ptr c) {
    struct shim_err *e = (struct shim_err *)c->err;
    (*c->err->format_message)(c, e->text);
    longjmp(e->jb, 1);
}

// libjpeg calls emit_message(-1) for corrupt-data warnings (truncation, bad Huffman codes).
static void shim_emit_message(j_common_ptr c, int level) {
    struct shim_err *e = (struct shim_err *)c->err;
    if (level < 0 && !e->warned) {
        e->warned = 1;
        (*c->err->format_message)(c, e->text);
    }
    if (level < 0) c->err->num_warnings++;
}

static void shim_output_message(j_common_ptr c) { (void)c; }  // never print to stderr

static void install_errors(struct shim_err *e, int strict) {
    memset(e, 0, sizeof *e);
    jpeg_std_error(&e->pub);
    e->pub.error_exit = shim_error_exit;
    e->pub.emit_message = shim_emit_message;
    e->pub.output_message = shim_output_message;
    e->strict = strict;
}

static void copy_err(char *err, size_t errlen, const char *msg) {
    if (err && errlen) { snprintf(err, errlen, "%s", msg); }
}

static int layout_samples(int layout) {
    switch (layout) {
    case JPEGSHIM_GRAY: return 1;
    case JPEGSHIM_RGB: case JPEGSHIM_BGR: return 3;
    case JPEGSHIM_RGBA: case JPEGSHIM_BGRA: case JPEGSHIM_CMYK: return 4;
    default: return 0;
    }
}

static J_COLOR_SPACE layout_space(int layout) {
    switch (layout) {
    case JPEGSHIM_GRAY: return JCS_GRAYSCALE;
    case JPEGSHIM_RGB: return JCS_RGB;
    case JPEGSHIM_BGR: return JCS_EXT_BGR;
    case JPEGSHIM_RGBA: return JCS_EXT_RGBA;
    case JPEGSHIM_BGRA: return JCS_EXT_BGRA;
    case JPEGSHIM_CMYK: return JCS_CMYK;
    default: return JCS_UNKNOWN;
    }
}

int jpegshim_probe(const unsigned char *data, size_t len, jpegshim_info *info, char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    struct shim_err jerr;
    if (len < 3 || data[0] != 0xFF || data[1] != 0xD8) {
        copy_err(err, errlen, "Not a JPEG file (no SOI marker)");
        return -1;
    }
    install_errors(&jerr, 0);
    cinfo.err = &jerr.pub;
    if (setjmp(jerr.jb)) {
        copy_err(err, errlen, jerr.text);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    info->components = cinfo.num_components;
    info->color_space = (int)cinfo.jpeg_color_space;
    info->progressive = cinfo.progressive_mode ? 1 : 0;
    info->adobe_inverted = cinfo.saw_Adobe_marker ? 1 : 0;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

// CMYK (as libjpeg returns it, Adobe files store it inverted) to the requested layout.
static void cmyk_row_to_layout(const unsigned char *src, unsigned char *dst, int width, int layout, int inverted) {
    int n = layout_samples(layout);
    for (int x = 0; x < width; x++) {
        int c = src[4 * x], m = src[4 * x + 1], y = src[4 * x + 2], k = src[4 * x + 3];
        if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        // inverted form: value = 255 - ink, so channel = (255-ink)*(255-k)/255 = v*k'/255
        int r = (c * k + 127) / 255, g = (m * k + 127) / 255, b = (y * k + 127) / 255;
        unsigned char *p = dst + (size_t)x * n;
        switch (layout) {
        case JPEGSHIM_GRAY: p[0] = (unsigned char)((r * 4899 + g * 9617 + b * 1868 + 8192) >> 14); break;
        case JPEGSHIM_RGB: p[0] = r; p[1] = g; p[2] = b; break;
        case JPEGSHIM_BGR: p[0] = b; p[1] = g; p[2] = r; break;
        case JPEGSHIM_RGBA: p[0] = r; p[1] = g; p[2] = b; p[3] = 255; break;
        case JPEGSHIM_BGRA: p[0] = b; p[1] = g; p[2] = r; p[3] = 255; break;
        }
    }
}

int jpegshim_decode(const unsigned char *data, size_t len, int layout, int scale_denom, int strict,
                    unsigned char *out, size_t out_len, int *out_w, int *out_h, char *err, size_t errlen) {
    struct jpeg_decompress_struct cinfo;
    struct shim_err jerr;
    unsigned char *volatile cmyk_row = NULL;
    int samples = layout_samples(layout);
    if (samples == 0 || layout == JPEGSHIM_CMYK) { copy_err(err, errlen, "unsupported output layout"); return -1; }
    if (len < 3 || data[0] != 0xFF || data[1] != 0xD8) {
        copy_err(err, errlen, "Not a JPEG file (no SOI marker)");
        return -1;
    }
    install_errors(&jerr, strict);
    cinfo.err = &jerr.pub;
    if (setjmp(jerr.jb)) {
        copy_err(err, errlen, jerr.text);
        jpeg_destroy_decompress(&cinfo);
        free(cmyk_row);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    int is_cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = is_cmyk ? JCS_CMYK : layout_space(layout);
    if (scale_denom == 2 || scale_denom == 4 || scale_denom == 8) {
        cinfo.scale_num = 1;
        cinfo.scale_denom = (unsigned int)scale_denom;
    }
    jpeg_start_decompress(&cinfo);
    size_t row_bytes = (size_t)cinfo.output_width * (size_t)samples;
    if (row_bytes * cinfo.output_height != out_len) {
        snprintf(jerr.text, sizeof jerr.text, "output buffer is %zu bytes, image needs %zu",
                 out_len, row_bytes * cinfo.output_height);
        longjmp(jerr.jb, 1);
    }
    if (is_cmyk) {
        cmyk_row = malloc((size_t)cinfo.output_width * 4);
        if (!cmyk_row) { snprintf(jerr.text, sizeof jerr.text, "out of memory"); longjmp(jerr.jb, 1); }
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char *dst = out + (size_t)cinfo.output_scanline * row_bytes;
        JSAMPROW row = is_cmyk ? cmyk_row : dst;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
            snprintf(jerr.text, sizeof jerr.text, "jpeg_read_scanlines returned no row");
            longjmp(jerr.jb, 1);
        }
        if (is_cmyk) cmyk_row_to_layout(cmyk_row, dst, (int)cinfo.output_width, layout, cinfo.saw_Adobe_marker);
    }
    if (strict && jerr.warned) longjmp(jerr.jb, 1);  // jerr.text already holds the first warning
    jpeg_finish_decompress(&cinfo);
    if (strict && jerr.warned) longjmp(jerr.jb, 1);
    *out_w = (int)cinfo.output_width;
    *out_h = (int)cinfo.output_height;
    jpeg_destroy_decompress(&cinfo);
    free(cmyk_row);
    return 0;
}

int jpegshim_encode(const unsigned char *pixels, int width, int height, int layout, int quality,
                    int progressive, unsigned char **out, unsigned long *out_len, char *err, size_t errlen) {
    struct jpeg_compress_struct cinfo;
    struct shim_err jerr;
    unsigned char *volatile mem = NULL;
    unsigned long mem_len = 0;
    int samples = layout_samples(layout);
    *out = NULL;
    *out_len = 0;
    if (samples == 0) { copy_err(err, errlen, "unsupported input layout"); return -1; }
    install_errors(&jerr, 0);
    cinfo.err = &jerr.pub;
    if (setjmp(jerr.jb)) {
        // Realistic failures (bad parameters) happen in jpeg_start_compress, before the memory
        // destination has grown, so `mem` is still the buffer jpeg_mem_dest allocated.
        copy_err(err, errlen, jerr.text);
        jpeg_destroy_compress(&cinfo);
        free(mem);
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&mem, &mem_len);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = samples;
    cinfo.in_color_space = layout_space(layout);
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (progressive) jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    size_t row_bytes = (size_t)width * (size_t)samples;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * row_bytes);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = mem;
    *out_len = mem_len;
    return 0;
}

void jpegshim_free(void *p) { free(p); }
