#ifndef CASLITE_DICOM_SHIM_H
#define CASLITE_DICOM_SHIM_H

// The DICOM subset the image actions need, as plain C functions over GDCM (libgdcm-dev, C++): every
// GDCM call lives in dicom_shim.cpp, every C++ exception is caught there. Files are decoded from
// memory (the server reads files through CaslibFiles, never by path). Functions that can fail return
// -1 (or NULL) and write a one-line message into `err`.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An open DICOM image (parsed header and still-encoded pixel data). Not thread-safe: one owner.
typedef struct caslite_dicom caslite_dicom;

/// What the header says about the pixels (nothing is decoded yet).
typedef struct {
    uint32_t columns;
    uint32_t rows;
    uint32_t frames;            // 1 for a single-frame image
    uint32_t samples_per_pixel; // 1 for CT/MR; 3 for color
    uint32_t bits_allocated;
    uint32_t bits_stored;
    int32_t pixel_signed;       // PixelRepresentation: 1 = two's complement
    int32_t is_float;           // float or double pixel data
    double slope;               // RescaleSlope (1 when absent)
    double intercept;           // RescaleIntercept (0 when absent)
    char transfer_syntax[72];   // UID, e.g. 1.2.840.10008.1.2.1
    char photometric[24];       // PhotometricInterpretation as GDCM reads it: MONOCHROME2, MONOCHROME1, RGB, YBR_FULL, …
    double spacing[3];          // x, y, z in mm, as GDCM derives them (z: 1 when the file does not say)
    double origin[3];           // the first frame's ImagePositionPatient (or the enhanced per-frame position)
} caslite_dicom_info;

/// Parses a DICOM file held in memory (the bytes are copied). NULL and a message when it is not a
/// DICOM image GDCM can read.
caslite_dicom *caslite_dicom_open(const void *bytes, size_t size, char *err, size_t errlen);

/// Frees a handle from caslite_dicom_open (NULL is allowed).
void caslite_dicom_close(caslite_dicom *d);

/// The header facts. 0, or -1 when the image has no pixel description.
int caslite_dicom_info_get(const caslite_dicom *d, caslite_dicom_info *info, char *err, size_t errlen);

/// Decodes the pixels (uncompressing if needed) and writes columns×rows×frames values in Hounsfield
/// units (stored × slope + intercept, computed in double) to `out` as int16. Refuses, before
/// allocating anything, when columns×rows×frames differs from `count` or exceeds `max_values`, and
/// refuses values that are not whole numbers in −32768…32767 (the message says which value).
int caslite_dicom_read_hu(const caslite_dicom *d, int16_t *out, size_t count, size_t max_values, char *err, size_t errlen);

/// Decodes a single-frame color image (3 samples per pixel: RGB, YBR_FULL, YBR_FULL_422, YBR_RCT/ICT, any
/// planar configuration, 8 or 16 bits; or PALETTE COLOR indices through the file's lookup tables) to `pixels` × 3 bytes of interleaved 8-bit RGB in `out`: YBR_FULL by
/// PS3.3 C.7.6.3.1.2, 16-bit samples as round(v / 257). Refuses, before allocating, when columns×rows×frames
/// differs from `pixels` or exceeds `max_pixels`.
int caslite_dicom_read_rgb8(const caslite_dicom *d, uint8_t *out, size_t pixels, size_t max_pixels, char *err, size_t errlen);

/// The position of every frame of a multi-frame file from its per-frame functional groups (Enhanced CT/MR:
/// PerFrameFunctionalGroupsSequence → PlanePositionSequence → ImagePositionPatient), 3 × `frames` values in
/// `positions`, the direction cosines GDCM derived (6 values) in `orientation`, and the column and row spacing
/// (x, y) in `spacing` (PixelMeasuresSequence's PixelSpacing, shared or of the first frame; else GDCM's). 1 when
/// every frame has a position, 0 when the file does not say, -1 on error. (GDCM's own spacing falls back to 1 mm
/// when an enhanced file's frames are not stored in order.)
int caslite_dicom_frame_geometry(const caslite_dicom *d, double *positions, size_t frames, double *orientation, double *spacing,
                                 char *err, size_t errlen);

/// The value of the data element named by its DICOM keyword ("Modality", "ImagePositionPatient", …),
/// as GDCM prints it (multiple values separated by '\\', trailing padding removed), NUL-terminated in
/// `out` (truncated to `outlen`). Returns the full length, 0 when the file has no such element (or it
/// is empty), -1 for a keyword the DICOM dictionary does not know.
int64_t caslite_dicom_tag(const caslite_dicom *d, const char *keyword, char *out, size_t outlen, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
