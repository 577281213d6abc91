// Every GDCM call of caslite (see include/dicom_shim.h). Nothing escapes this file:
// - GDCM is C++ and throws: every entry point turns exceptions into an error message (`caught`);
// - Debian's libgdcm keeps its `assert`s, divides by zero on some crafted headers and reads past its
//   buffers on some damaged pixel data: every GDCM call runs under the trap of gdcm_trap.c (`guarded`),
//   which ends the call with an error instead of ending the server. GDCM's state is unknown after such a jump: the handle is "poisoned", never
//   touched again and not even freed (its memory, about the file's size, is leaked on purpose);
// - GDCM sizes buffers from the file's claims: every call runs with a cap on single allocations
//   (alloc_cap.cpp), the file's size while parsing, the checked pixel buffer while decoding.
#include "dicom_shim.h"
#include "alloc_cap.h"
#include "gdcm_trap.h"

#include <gdcmAttribute.h>
#include <gdcmDict.h>
#include <gdcmDicts.h>
#include <gdcmExplicitDataElement.h>
#include <gdcmGlobal.h>
#include <gdcmImage.h>
#include <gdcmImageApplyLookupTable.h>
#include <gdcmImageReader.h>
#include <gdcmImplicitDataElement.h>
#include <gdcmSequenceOfFragments.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmStringFilter.h>
#include <gdcmTrace.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <dlfcn.h>
#include <exception>
#include <mutex>
#include <new>
#include <sstream>
#include <string>
#include <type_traits>
#include <zlib.h>
#include <vector>

struct caslite_dicom {
    gdcm::ImageReader reader;
    size_t size = 0;  // of the file: no element can be longer
    bool poisoned = false;
};

namespace {

void set_err(char *err, size_t errlen, const std::string &msg) {
    if (!err || errlen == 0) return;
    std::snprintf(err, errlen, "%s", msg.c_str());
}

// A read-only stream over the caller's bytes (no copy), seekable as GDCM's reader needs.
struct MemoryBuffer : std::streambuf {
    MemoryBuffer(const void *bytes, size_t size) {
        char *b = const_cast<char *>(static_cast<const char *>(bytes));
        setg(b, b, b + size);
    }
    pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode) override {
        char *base = dir == std::ios_base::beg ? eback() : dir == std::ios_base::cur ? gptr() : egptr();
        if (off < eback() - base || off > egptr() - base) return pos_type(off_type(-1));
        setg(eback(), base + off, egptr());
        return pos_type(gptr() - eback());
    }
    pos_type seekpos(pos_type pos, std::ios_base::openmode which) override {
        return seekoff(off_type(pos), std::ios_base::beg, which);
    }
};

// Slack over a file's size for GDCM's own small allocations (dictionary entries, strings).
const size_t alloc_slack = 1 << 20;

// `body()` with every C++ exception turned into -1 and a message about `what`.
template <typename F>
int caught(F &body, const char *what, char *err, size_t errlen) {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        set_err(err, errlen, std::string("out of memory reading ") + what + " (or the file claims more bytes than it has)");
    } catch (const std::exception &e) {
        set_err(err, errlen, std::string("damaged ") + what + ": " + e.what());
    } catch (...) {
        set_err(err, errlen, std::string("damaged ") + what);
    }
    return -1;
}

// `caught(body)` with GDCM's assertions and faults trapped (-2, the reason in `err`) and no
// single allocation above `cap` bytes. Nothing here has a destructor: a trap jumps over the frames of
// `body`, and the cap is put back by hand.
template <typename F>
int guarded(F &body, const char *what, size_t cap, char *err, size_t errlen) {
    sigjmp_buf jb;
    sigjmp_buf *outer = caslite_gdcm_trap;
    size_t outer_cap = caslite_alloc_cap;
    if (sigsetjmp(jb, 1) != 0) {  // 1: restore the signal mask (the signal is blocked in its handler)
        caslite_gdcm_trap = outer;
        caslite_alloc_cap = outer_cap;
        set_err(err, errlen, std::string("damaged ") + what + ": " + caslite_gdcm_trap_message);
        return -2;
    }
    caslite_gdcm_trap = &jb;
    caslite_alloc_cap = cap;
    int r = caught(body, what, err, errlen);
    caslite_alloc_cap = outer_cap;
    caslite_gdcm_trap = outer;
    return r;
}

// `guarded` on an open handle: refuses a poisoned one, poisons it when a trap fired. 0 or -1.
template <typename F>
int guarded(const caslite_dicom *d, F &body, const char *what, size_t cap, char *err, size_t errlen) {
    if (d->poisoned) {
        set_err(err, errlen, "this DICOM file failed GDCM's internal checks earlier");
        return -1;
    }
    int r = guarded(body, what, cap, err, errlen);
    if (r == -2) const_cast<caslite_dicom *>(d)->poisoned = true;
    return r < 0 ? -1 : r;
}

// The first message GDCM's bundled libjpeg (IJG 6b, 8/12/16-bit builds) gave on this thread since it was last cleared.
thread_local std::string jpeg_message;

// The start of IJG's `struct jpeg_error_mgr` (jpeglib.h): the methods up to format_message.
struct jpeg_error_methods {
    void (*error_exit)(void *);
    void (*emit_message)(void *, int);
    void (*output_message)(void *);
    void (*format_message)(void *, char *);
};

// libjpeg's output_message, replaced: the message is kept for the shim call (which reports it with the file's
// name) instead of printed to stderr. `cinfo` is a j_common_ptr, whose first member is the error manager.
void keep_jpeg_message(void *cinfo) {
    jpeg_error_methods *e = *static_cast<jpeg_error_methods **>(cinfo);
    char buf[256] = {0};  // JMSG_LENGTH_MAX is 200
    e->format_message(cinfo, buf);
    if (jpeg_message.empty()) jpeg_message = buf;
}

// libjpeg's jpeg_std_error (the library's own, found after this executable's) with output_message replaced.
jpeg_error_methods *hooked_std_error(jpeg_error_methods *err, const char *symbol) {
    using std_error = jpeg_error_methods *(*)(jpeg_error_methods *);
    std_error real = reinterpret_cast<std_error>(dlsym(RTLD_NEXT, symbol));
    if (!real) {
        std::fprintf(stderr, "caslite: %s not found in GDCM's libjpeg\n", symbol);
        std::abort();
    }
    jpeg_error_methods *r = real(err);
    r->output_message = keep_jpeg_message;
    return r;
}

// GDCM prints warnings, errors and its assertion reports to stderr; the server reports its own
// messages instead (libjpeg's through `jpeg_message`).
void quiet_gdcm() {
    static std::once_flag once;
    std::call_once(once, [] {
        static std::ostream nowhere(nullptr);  // a stream without a buffer discards what it is given
        gdcm::Trace::SetDebug(false);
        gdcm::Trace::SetWarning(false);
        gdcm::Trace::SetError(false);
        gdcm::Trace::SetDebugStream(nowhere);
        gdcm::Trace::SetWarningStream(nowhere);
        gdcm::Trace::SetErrorStream(nowhere);
        caslite_gdcm_trap_install();
    });
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    size_t i = 0;
    while (i < s.size() && s[i] == ' ') i++;
    return s.substr(i);
}

// Converts `n` stored samples of type T to int16 HU; -1 with a message at the first value that is not a
// whole number in int16's range.
template <typename T>
int to_hu(const char *raw, size_t n, double slope, double intercept, int16_t *out, char *err, size_t errlen) {
    const T *p = reinterpret_cast<const T *>(raw);
    // The common case (integer samples, whole slope and intercept: 1 and -1024) in integers: the same
    // results as the double loop below, without a rounding test per pixel. Any value out of int16's
    // range sends the whole image to the double loop, which names it.
    if (std::is_integral<T>::value && sizeof(T) <= 4 && slope == std::nearbyint(slope) && intercept == std::nearbyint(intercept) &&
        std::fabs(slope) <= 65536 && std::fabs(intercept) <= 65536) {
        int64_t s = static_cast<int64_t>(slope), b = static_cast<int64_t>(intercept);
        bool in_range = true;
        for (size_t i = 0; i < n; i++) {
            int64_t v = static_cast<int64_t>(p[i]) * s + b;
            in_range &= v >= -32768 && v <= 32767;
            out[i] = static_cast<int16_t>(v);
        }
        if (in_range) return 0;
    }
    // rounding noise is forgiven up to 1e-6 (relative past 1 HU), but never more than a thousandth of one stored step:
    // a slope of 1e-9 would otherwise turn every stored value into the intercept (a review's crafted file)
    const double step_tolerance = std::fabs(slope) * 1e-3;
    for (size_t i = 0; i < n; i++) {
        double v = static_cast<double>(p[i]) * slope + intercept;
        double r = std::nearbyint(v);
        if (!(std::fabs(v - r) <= std::fmin(1e-6 * std::fmax(1.0, std::fabs(v)), step_tolerance)) || r < -32768.0 || r > 32767.0) {
            std::ostringstream os;
            os << "pixel " << i << " is " << v << " HU (stored " << static_cast<double>(p[i]) << " × slope " << slope
               << " + intercept " << intercept << "), not a whole number in -32768...32767";
            set_err(err, errlen, os.str());
            return -1;
        }
        out[i] = static_cast<int16_t>(r);
    }
    return 0;
}

// Bytes the file's elements claim (meta header with preamble + data set). GDCM zero-fills a truncated
// last element (the pixel data) with only a warning; comparing this with the file's size catches it.
unsigned long long claimed_length(const gdcm::File &file) {
    const gdcm::DataSet &ds = file.GetDataSet();
    unsigned long long n = static_cast<uint32_t>(file.GetHeader().GetFullLength());
    if (file.GetHeader().GetDataSetTransferSyntax().IsImplicit()) return n + static_cast<uint32_t>(ds.GetLength<gdcm::ImplicitDataElement>());
    return n + static_cast<uint32_t>(ds.GetLength<gdcm::ExplicitDataElement>());
}

// The first item's data set of sequence `tag` in `ds`, or null.
const gdcm::DataSet *first_item(const gdcm::DataSet &ds, const gdcm::Tag &tag) {
    if (!ds.FindDataElement(tag)) return nullptr;
    gdcm::SmartPointer<gdcm::SequenceOfItems> items = ds.GetDataElement(tag).GetValueAsSQ();
    if (!items || items->GetNumberOfItems() < 1) return nullptr;
    return &items->GetItem(1).GetNestedDataSet();
}

// The value of element `tag` in `ds` as stored (trailing padding removed; at most 64 bytes), "" when absent or empty.
std::string element_text(const gdcm::DataSet &ds, const gdcm::Tag &tag) {
    if (!ds.FindDataElement(tag)) return "";
    const gdcm::ByteValue *bv = ds.GetDataElement(tag).GetByteValue();
    if (!bv) return "";
    return trimmed(std::string(bv->GetPointer(), std::min<size_t>(static_cast<uint32_t>(bv->GetLength()), 64)));
}

// RescaleSlope / RescaleIntercept in `ds`, when present, must be a finite number (the slope also non-zero): GDCM
// reads "NaN", "inf" and "0" as slope 1 / intercept 0 without a word, which would store wrong Hounsfield units.
int check_rescale(const gdcm::DataSet &ds, char *err, size_t errlen) {
    const struct { gdcm::Tag tag; const char *name; bool slope; } items[] = {
        {gdcm::Tag(0x0028, 0x1053), "RescaleSlope", true}, {gdcm::Tag(0x0028, 0x1052), "RescaleIntercept", false}};
    for (const auto &e : items) {
        std::string t = element_text(ds, e.tag);
        if (t.empty()) continue;
        char *end = nullptr;
        double v = std::strtod(t.c_str(), &end);
        if (end != t.c_str() && *end == '\0' && std::isfinite(v) && (!e.slope || v != 0)) continue;
        set_err(err, errlen, std::string(e.name) + " is '" + t + "': not a finite" + (e.slope ? ", non-zero" : "") + " number");
        return -1;
    }
    return 0;
}

// The rescale of the file: the top level, and an enhanced file's PixelValueTransformationSequence (shared, then the
// first frame's), where GDCM reads it from.
int check_rescales(const gdcm::DataSet &ds, char *err, size_t errlen) {
    if (check_rescale(ds, err, errlen) != 0) return -1;
    const gdcm::Tag shared(0x5200, 0x9229), per_frame(0x5200, 0x9230), transformation(0x0028, 0x9145);
    for (const gdcm::Tag &group : {shared, per_frame}) {
        const gdcm::DataSet *g = first_item(ds, group);
        const gdcm::DataSet *t = g ? first_item(*g, transformation) : nullptr;
        if (t && check_rescale(*t, err, errlen) != 0) return -1;
    }
    return 0;
}

// The value of the US element `A` (a gdcm::Attribute type) in `ds` as the file states it, or -1 when absent or
// empty. (GDCM's PixelFormat quietly keeps its defaults for values it finds inconsistent.)
template <typename A>
long us_element(const gdcm::DataSet &ds) {
    A a;
    if (!ds.FindDataElement(a.GetTag()) || ds.GetDataElement(a.GetTag()).IsEmpty()) return -1;
    a.SetFromDataElement(ds.GetDataElement(a.GetTag()));
    return a.GetValue();
}

// PhotometricInterpretation, SamplesPerPixel and PixelRepresentation as stored must be DICOM's and agree (PS3.3
// C.7.6.3.1): GDCM read an unknown interpretation as MONOCHROME2, and 3 samples under MONOCHROME2 as a gray image
// made of the first third of the data. A file without the element (old ACR-NEMA) passes with one sample.
int check_photometric(const gdcm::DataSet &ds, char *err, size_t errlen) {
    std::string pi = element_text(ds, gdcm::Tag(0x0028, 0x0004));
    long samples = us_element<gdcm::Attribute<0x0028, 0x0002>>(ds), representation = us_element<gdcm::Attribute<0x0028, 0x0103>>(ds);
    static const char *one[] = {"MONOCHROME1", "MONOCHROME2", "PALETTE COLOR"};
    static const char *three[] = {"RGB", "YBR_FULL", "YBR_FULL_422", "YBR_PARTIAL_420", "YBR_PARTIAL_422", "YBR_ICT", "YBR_RCT"};
    long expected = pi.empty() ? 1 : 0;
    for (const char *v : one) if (pi == v) expected = 1;
    for (const char *v : three) if (pi == v) expected = 3;
    std::string why;
    if (expected == 0)
        why = "PhotometricInterpretation is '" + pi + "': not one DICOM defines";
    else if (samples >= 0 && samples != expected)
        why = "SamplesPerPixel is " + std::to_string(samples) + " but PhotometricInterpretation " + (pi.empty() ? "(absent)" : pi) +
              " has " + std::to_string(expected);
    else if (representation > 1)
        why = "PixelRepresentation is " + std::to_string(representation) + ": not 0 (unsigned) or 1 (signed)";
    if (why.empty()) return 0;
    set_err(err, errlen, why);
    return -1;
}

// BitsAllocated, BitsStored and HighBit as stored must agree (PS3.5 8.1.1): BitsAllocated 1, 8, 12 (ACR-NEMA packed),
// 16, 32 or 64; 1 <= BitsStored <= BitsAllocated; HighBit = BitsStored - 1. GDCM keeps its own defaults for values it
// finds wrong and decodes anyway.
int check_bits(const gdcm::DataSet &ds, char *err, size_t errlen) {
    long allocated = us_element<gdcm::Attribute<0x0028, 0x0100>>(ds), stored = us_element<gdcm::Attribute<0x0028, 0x0101>>(ds),
         high = us_element<gdcm::Attribute<0x0028, 0x0102>>(ds);
    std::string why;
    if (allocated >= 0 && allocated != 1 && allocated != 8 && allocated != 12 && allocated != 16 && allocated != 32 && allocated != 64)
        why = "BitsAllocated is " + std::to_string(allocated) + ": not 1, 8, 12, 16, 32 or 64";
    else if (stored >= 0 && (stored < 1 || (allocated >= 0 && stored > allocated)))
        why = "BitsStored is " + std::to_string(stored) + " but BitsAllocated is " + std::to_string(allocated) + ": BitsStored must be 1 to BitsAllocated";
    else if (high >= 0 && stored >= 0 && high != stored - 1)
        why = "HighBit is " + std::to_string(high) + " but BitsStored is " + std::to_string(stored) + ": HighBit must be BitsStored - 1";
    if (why.empty()) return 0;
    set_err(err, errlen, why);
    return -1;
}

// Columns × rows × frames of `img`, checked against `max_values` as it is multiplied (before GDCM
// allocates anything from the header's claims) and required to equal `count`. -1 with a message.
int check_pixels(const gdcm::Image &img, size_t count, size_t max_values, char *err, size_t errlen) {
    unsigned nd = img.GetNumberOfDimensions();
    if (nd < 2) {
        set_err(err, errlen, "the DICOM file describes no image (no Rows/Columns)");
        return -1;
    }
    unsigned long long n = 1;
    for (unsigned i = 0; i < nd && i < 3; i++) {
        n *= img.GetDimension(i);
        if (n > max_values) {
            set_err(err, errlen, "the DICOM header claims more than " + std::to_string(max_values) + " pixels");
            return -1;
        }
    }
    if (n != count) {
        set_err(err, errlen, "the DICOM header claims " + std::to_string(n) + " pixels, expected " + std::to_string(count));
        return -1;
    }
    return 0;
}

uint32_t be32(const unsigned char *p) { return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]; }
uint16_t be16(const unsigned char *p) { return uint16_t((p[0] << 8) | p[1]); }

// JPEG 2000 pixel data must describe the image the header describes before OpenJPEG decodes it into a
// buffer sized from the header: a codestream wider or taller than Rows × Columns (one changed tag) made
// the decoder write past that buffer and corrupt the heap (glibc abort: not a trap the shim can catch).
// Every fragment that starts a codestream (SOC FF4F followed by SIZ FF51, possibly after JP2 boxes) is
// checked: size, components, precision, sign, no subsampling. 0 when consistent, -1 with a message.
int check_j2k(const gdcm::Image &img, char *err, size_t errlen) {
    gdcm::TransferSyntax ts = img.GetTransferSyntax();
    if (ts != gdcm::TransferSyntax::JPEG2000Lossless && ts != gdcm::TransferSyntax::JPEG2000 &&
        ts != gdcm::TransferSyntax::JPEG2000Part2Lossless && ts != gdcm::TransferSyntax::JPEG2000Part2)
        return 0;
    const gdcm::SequenceOfFragments *sf = img.GetDataElement().GetSequenceOfFragments();
    if (!sf || sf->GetNumberOfFragments() == 0) {
        set_err(err, errlen, "the JPEG 2000 pixel data has no fragments");
        return -1;
    }
    const gdcm::PixelFormat &pf = img.GetPixelFormat();
    unsigned cols = img.GetDimension(0), rows = img.GetDimension(1);
    int codestreams = 0;
    for (unsigned i = 0; i < sf->GetNumberOfFragments(); i++) {
        const gdcm::ByteValue *bv = sf->GetFragment(i).GetByteValue();
        if (!bv) continue;
        const unsigned char *p = reinterpret_cast<const unsigned char *>(bv->GetPointer());
        size_t len = static_cast<uint32_t>(bv->GetLength());
        size_t look = std::min<size_t>(len, 4096), at = look;
        for (size_t k = 0; k + 4 <= look; k++)
            if (p[k] == 0xFF && p[k + 1] == 0x4F && p[k + 2] == 0xFF && p[k + 3] == 0x51) { at = k + 4; break; }
        if (at == look) continue;   // a continuation fragment of a frame
        codestreams++;
        // SIZ: Lsiz Rsiz Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz Csiz, then Ssiz XRsiz YRsiz per component
        if (at + 38 > len) { set_err(err, errlen, "the JPEG 2000 codestream's SIZ marker is truncated"); return -1; }
        const unsigned char *siz = p + at;
        uint32_t xs = be32(siz + 4), ys = be32(siz + 8), xo = be32(siz + 12), yo = be32(siz + 16);
        unsigned csiz = be16(siz + 36);
        if (xo >= xs || yo >= ys || xs - xo != cols || ys - yo != rows) {
            set_err(err, errlen, "the JPEG 2000 codestream is " + std::to_string(xs > xo ? xs - xo : 0) + "x" + std::to_string(ys > yo ? ys - yo : 0) +
                                     " pixels but the DICOM header says Columns " + std::to_string(cols) + ", Rows " + std::to_string(rows));
            return -1;
        }
        if (csiz != pf.GetSamplesPerPixel() || at + 38 + 3 * size_t(csiz) > len) {
            set_err(err, errlen, "the JPEG 2000 codestream has " + std::to_string(csiz) + " components but the DICOM header says SamplesPerPixel " +
                                     std::to_string(pf.GetSamplesPerPixel()));
            return -1;
        }
        for (unsigned c = 0; c < csiz; c++) {
            unsigned ssiz = siz[38 + 3 * c], xr = siz[39 + 3 * c], yr = siz[40 + 3 * c];
            unsigned precision = (ssiz & 0x7F) + 1;
            bool is_signed = (ssiz & 0x80) != 0;
            if (xr != 1 || yr != 1) { set_err(err, errlen, "subsampled JPEG 2000 components are not supported"); return -1; }
            if (precision > pf.GetBitsAllocated()) {
                set_err(err, errlen, "the JPEG 2000 codestream has " + std::to_string(precision) + "-bit samples but the DICOM header says BitsAllocated " +
                                         std::to_string(pf.GetBitsAllocated()));
                return -1;
            }
            if (is_signed != (pf.GetPixelRepresentation() == 1)) {
                set_err(err, errlen, std::string("the JPEG 2000 codestream's samples are ") + (is_signed ? "signed" : "unsigned") +
                                         " but the DICOM header's PixelRepresentation says " + (is_signed ? "unsigned" : "signed"));
                return -1;
            }
        }
    }
    if (codestreams == 0) {
        set_err(err, errlen, "the JPEG 2000 pixel data holds no codestream (no SOC/SIZ markers)");
        return -1;
    }
    return 0;
}

// The frame header of a JPEG or JPEG-LS stream starting at `p`: 1 with its size, components and precision; 0 when `p`
// does not start a stream (no SOI: a continuation fragment); -1 when the markers end before a frame header (SOFn, or
// SOF55 for JPEG-LS).
int jpeg_frame_header(const unsigned char *p, size_t len, unsigned &x, unsigned &y, unsigned &components, unsigned &precision) {
    if (len < 2 || p[0] != 0xFF || p[1] != 0xD8) return 0;
    size_t at = 2;
    while (at + 4 <= len) {
        if (p[at] != 0xFF) return -1;
        unsigned m = p[at + 1];
        if (m == 0xFF) { at++; continue; }                                         // fill byte
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { at += 2; continue; }          // markers without a length
        size_t l = be16(p + at + 2);
        bool sof = (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) || m == 0xF7;
        if (sof) {
            if (l < 8 || at + 10 > len) return -1;
            precision = p[at + 4], y = be16(p + at + 5), x = be16(p + at + 7), components = p[at + 9];
            return 1;
        }
        if (m == 0xDA || m == 0xD9 || l < 2) return -1;                            // a scan or the end before any frame header
        at += 2 + l;
    }
    return -1;
}

// JPEG (baseline, extended, lossless) and JPEG-LS pixel data must describe the image the header describes: a stream
// larger than Rows × Columns was decoded and silently cropped to the header's size. Every fragment that starts a
// stream (SOI) is checked: size, components, precision. 0 when consistent (or not JPEG), -1 with a message.
int check_jpeg(const gdcm::Image &img, char *err, size_t errlen) {
    switch (gdcm::TransferSyntax::TSType(img.GetTransferSyntax())) {
    case gdcm::TransferSyntax::JPEGBaselineProcess1: case gdcm::TransferSyntax::JPEGExtendedProcess2_4:
    case gdcm::TransferSyntax::JPEGExtendedProcess3_5: case gdcm::TransferSyntax::JPEGSpectralSelectionProcess6_8:
    case gdcm::TransferSyntax::JPEGFullProgressionProcess10_12: case gdcm::TransferSyntax::JPEGLosslessProcess14:
    case gdcm::TransferSyntax::JPEGLosslessProcess14_1: case gdcm::TransferSyntax::JPEGLSLossless:
    case gdcm::TransferSyntax::JPEGLSNearLossless: break;
    default: return 0;
    }
    const gdcm::SequenceOfFragments *sf = img.GetDataElement().GetSequenceOfFragments();
    const gdcm::PixelFormat &pf = img.GetPixelFormat();
    unsigned cols = img.GetDimension(0), rows = img.GetDimension(1);
    int streams = 0;
    for (unsigned i = 0; sf && i < sf->GetNumberOfFragments(); i++) {
        const gdcm::ByteValue *bv = sf->GetFragment(i).GetByteValue();
        if (!bv) continue;
        unsigned x = 0, y = 0, components = 0, precision = 0;
        int r = jpeg_frame_header(reinterpret_cast<const unsigned char *>(bv->GetPointer()), static_cast<uint32_t>(bv->GetLength()), x, y,
                                  components, precision);
        if (r == 0) continue;
        if (r < 0) { set_err(err, errlen, "a JPEG stream of the pixel data has no frame header (SOF marker)"); return -1; }
        streams++;
        if (x != cols || y != rows) {
            set_err(err, errlen, "the JPEG stream is " + std::to_string(x) + "x" + std::to_string(y) + " pixels but the DICOM header says Columns " +
                                     std::to_string(cols) + ", Rows " + std::to_string(rows));
            return -1;
        }
        if (components != pf.GetSamplesPerPixel() || precision > pf.GetBitsAllocated()) {
            set_err(err, errlen, "the JPEG stream has " + std::to_string(components) + " components of " + std::to_string(precision) +
                                     " bits but the DICOM header says SamplesPerPixel " + std::to_string(pf.GetSamplesPerPixel()) +
                                     ", BitsAllocated " + std::to_string(pf.GetBitsAllocated()));
            return -1;
        }
    }
    if (streams == 0) {
        set_err(err, errlen, "the JPEG pixel data holds no JPEG stream (no SOI marker)");
        return -1;
    }
    return 0;
}

// Bytes a PackBits (RLE, PS3.5 G.3.1) segment decodes to, counted without decoding; stops counting past `stop`.
size_t packbits_length(const unsigned char *p, size_t len, size_t stop) {
    size_t i = 0, out = 0;
    while (i < len && out <= stop) {
        int h = static_cast<int8_t>(p[i++]);
        if (h >= 0) {                     // h + 1 literal bytes (as many as there are)
            size_t n = std::min<size_t>(size_t(h) + 1, len - i);
            out += n, i += n;
        } else if (h != -128) {           // the next byte 1 - h times
            if (i >= len) break;
            out += size_t(1 - h), i++;
        }
    }
    return out;
}

// RLE pixel data (PS3.5 Annex G) must describe the image the header describes: each frame's fragment has
// SamplesPerPixel × BitsAllocated / 8 segments, each decoding to Rows × Columns bytes (one more is allowed: an even
// pad). A stream for a larger image was decoded and silently cropped. 0 when consistent (or not RLE), -1 with a message.
int check_rle(const gdcm::Image &img, char *err, size_t errlen) {
    if (img.GetTransferSyntax() != gdcm::TransferSyntax::RLELossless) return 0;
    const gdcm::SequenceOfFragments *sf = img.GetDataElement().GetSequenceOfFragments();
    const gdcm::PixelFormat &pf = img.GetPixelFormat();
    size_t plane = size_t(img.GetDimension(0)) * img.GetDimension(1);
    unsigned segments = pf.GetSamplesPerPixel() * (pf.GetBitsAllocated() / 8);
    for (unsigned f = 0; sf && f < sf->GetNumberOfFragments(); f++) {
        const gdcm::ByteValue *bv = sf->GetFragment(f).GetByteValue();
        const unsigned char *p = bv ? reinterpret_cast<const unsigned char *>(bv->GetPointer()) : nullptr;
        size_t len = bv ? static_cast<uint32_t>(bv->GetLength()) : 0;
        auto le32 = [&](size_t at) { return uint32_t(p[at]) | (uint32_t(p[at + 1]) << 8) | (uint32_t(p[at + 2]) << 16) | (uint32_t(p[at + 3]) << 24); };
        if (segments < 1 || segments > 15) {   // the 64-byte header holds at most 15 segment offsets (PS3.5 G.3.1)
            set_err(err, errlen, "the DICOM header (SamplesPerPixel, BitsAllocated) needs " + std::to_string(segments) +
                                     " RLE segments per frame; RLE holds 1 to 15");
            return -1;
        }
        if (len < 64 || le32(0) != segments) {
            set_err(err, errlen, "RLE frame " + std::to_string(f + 1) + " has " + (len < 64 ? "no RLE header" : std::to_string(le32(0)) + " segments") +
                                     "; the DICOM header (SamplesPerPixel, BitsAllocated) needs " + std::to_string(segments));
            return -1;
        }
        for (unsigned k = 0; k < segments; k++) {
            size_t from = le32(4 + 4 * k), to = k + 1 < segments ? le32(8 + 4 * k) : len;
            if (from < 64 || from > to || to > len) {
                set_err(err, errlen, "RLE frame " + std::to_string(f + 1) + " has a damaged segment table");
                return -1;
            }
            size_t n = packbits_length(p + from, to - from, plane + 1);
            if (n != plane && n != plane + 1) {
                set_err(err, errlen, "RLE frame " + std::to_string(f + 1) + " segment " + std::to_string(k + 1) + " decodes to " +
                                         (n > plane + 1 ? "more than " + std::to_string(plane + 1) : std::to_string(n)) + " bytes but Columns × Rows is " +
                                         std::to_string(plane) + ": the stream does not match the DICOM header");
                return -1;
            }
        }
    }
    return 0;
}

// The decoded pixel data of `img` (`len` bytes, checked by the caller) in `buf`. -1 with a message.
int decoded_buffer(const gdcm::Image &img, unsigned long len, std::vector<char> &buf, char *err, size_t errlen) {
    if (check_j2k(img, err, errlen) != 0 || check_jpeg(img, err, errlen) != 0 || check_rle(img, err, errlen) != 0) return -1;
    // GDCM pads short uncompressed pixel data instead of failing
    const gdcm::ByteValue *raw = img.GetDataElement().GetByteValue();
    unsigned long have = raw ? static_cast<unsigned long>(static_cast<uint32_t>(raw->GetLength())) : 0;
    if (!img.GetTransferSyntax().IsEncapsulated() && have < len) {
        set_err(err, errlen, "the pixel data is truncated: " + std::to_string(have) + " of " + std::to_string(len) + " bytes");
        return -1;
    }
    buf.resize(len);
    jpeg_message.clear();
    bool decoded = img.GetBuffer(buf.data());
    std::string said;
    said.swap(jpeg_message);
    if (!decoded) {
        set_err(err, errlen, "the pixel data cannot be decoded (truncated, or a damaged compressed stream)" + (said.empty() ? "" : ": " + said));
        return -1;
    }
    // libjpeg's warnings that mean missing or damaged data the decoder filled in (JWRN_HIT_MARKER,
    // JWRN_HUFF_BAD_CODE, JWRN_MUST_RESYNC, JWRN_JPEG_EOF, JWRN_BOGUS_PROGRESSION); the others (extraneous
    // bytes between segments, non-sequential SOS parameters, unknown JFIF/Adobe codes) leave the image whole
    bool corrupt = said.find("Corrupt JPEG data") != std::string::npos && said.find("extraneous bytes") == std::string::npos;
    if (corrupt || said.find("Premature end") != std::string::npos || said.find("Inconsistent progression") != std::string::npos) {
        set_err(err, errlen, "the JPEG decoder reports: " + said);
        return -1;
    }
    return 0;
}

// Writes the HU of `img` (dimensions already checked: `n` values, `len` decoded bytes) to `out`.
int decode_hu(const gdcm::Image &img, size_t n, unsigned long len, int16_t *out, char *err, size_t errlen) {
    const gdcm::PixelFormat &pf = img.GetPixelFormat();
    std::vector<char> buf;
    if (decoded_buffer(img, len, buf, err, errlen) != 0) return -1;
    double s = img.GetSlope(), b = img.GetIntercept();
    switch (pf.GetScalarType()) {
    case gdcm::PixelFormat::UINT8: return to_hu<uint8_t>(buf.data(), n, s, b, out, err, errlen);
    case gdcm::PixelFormat::INT8: return to_hu<int8_t>(buf.data(), n, s, b, out, err, errlen);
    case gdcm::PixelFormat::UINT12:
    case gdcm::PixelFormat::UINT16: return to_hu<uint16_t>(buf.data(), n, s, b, out, err, errlen);
    case gdcm::PixelFormat::INT12:
    case gdcm::PixelFormat::INT16: return to_hu<int16_t>(buf.data(), n, s, b, out, err, errlen);
    case gdcm::PixelFormat::UINT32: return to_hu<uint32_t>(buf.data(), n, s, b, out, err, errlen);
    case gdcm::PixelFormat::INT32: return to_hu<int32_t>(buf.data(), n, s, b, out, err, errlen);
    case gdcm::PixelFormat::FLOAT32: return to_hu<float>(buf.data(), n, s, b, out, err, errlen);
    case gdcm::PixelFormat::FLOAT64: return to_hu<double>(buf.data(), n, s, b, out, err, errlen);
    default:
        set_err(err, errlen, "pixels of " + std::to_string(pf.GetBitsAllocated()) + " bits allocated are not supported");
        return -1;
    }
}

// The largest inflated data set accepted: the largest int16 image the limits allow (2^27 pixels × 2 bytes).
const size_t max_inflated = size_t(1) << 28;

// Whether bytes[start...] is one complete raw deflate stream that inflates to at most `max_out` bytes
// (zlib, output discarded); false with the reason otherwise.
bool deflate_stream_ok(const unsigned char *bytes, size_t size, size_t start, size_t max_out, char *err, size_t errlen,
                       std::vector<unsigned char> *keep = nullptr) {
    if (start >= size) {
        set_err(err, errlen, "the deflated DICOM file has no data set after its meta header");
        return false;
    }
    z_stream z;
    std::memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK) {  // -15: raw deflate, as DICOM stores it (PS3.5 A.5)
        set_err(err, errlen, "out of memory starting zlib");
        return false;
    }
    static thread_local unsigned char sink[1 << 16];
    z.next_in = const_cast<unsigned char *>(bytes + start);
    z.avail_in = static_cast<uInt>(std::min(size - start, size_t(UINT32_MAX)));
    std::string why;
    for (;;) {
        z.next_out = sink;
        z.avail_out = sizeof sink;
        int r = inflate(&z, Z_NO_FLUSH);
        if (keep && z.total_out <= max_out) keep->insert(keep->end(), sink, sink + (sizeof sink - z.avail_out));
        if (r == Z_STREAM_END) break;
        if (z.total_out > max_out) {
            why = "it inflates to more than " + std::to_string(max_out >> 20) + " MiB";
        } else if (r == Z_BUF_ERROR || (r == Z_OK && z.avail_in == 0 && z.avail_out != 0)) {
            why = "the deflated data set is truncated";
        } else if (r != Z_OK) {
            why = std::string("the deflated data set is damaged (zlib: ") + (z.msg ? z.msg : "error " + std::to_string(r)) + ")";
        }
        if (!why.empty()) break;
    }
    inflateEnd(&z);
    if (why.empty()) return true;
    set_err(err, errlen, why);
    return false;
}

// Sequences GDCM may meet nested in a data set. It parses nested sequences recursively (50 000 levels in a 1 MB file
// overflowed the stack and killed the server) and measures an undefined-length item by measuring everything inside
// it, again at every level above (16 levels of undefined-length sequences in 300 bytes kept a thread busy for good;
// 10 levels took 0.8 s). Real files nest a few levels (enhanced multi-frame: 2; structured reports: rarely past 6).
const int max_sequence_depth = 8;

// Scans the data set's element headers from `start` (no values are read, only lengths) and refuses one whose
// sequences nest deeper than max_sequence_depth, before GDCM parses it. Truncation and other damage are left to
// GDCM and the checks after it: the scan just stops at the end of the bytes. A sequence is an element with VR SQ
// (explicit VR), or with an undefined length, or — implicit VR, where the VR is not written — a value that starts
// with an item tag, as GDCM also guesses.
int check_nesting(const unsigned char *p, size_t size, size_t start, bool explicit_vr, bool big_endian, char *err, size_t errlen) {
    const uint32_t undefined = 0xFFFFFFFFu;
    auto u16 = [&](size_t at) -> uint32_t { return big_endian ? (uint32_t(p[at]) << 8) | p[at + 1] : p[at] | (uint32_t(p[at + 1]) << 8); };
    auto u32 = [&](size_t at) -> uint32_t {
        return big_endian ? (u16(at) << 16) | u16(at + 2) : u16(at) | (u16(at + 2) << 16);
    };
    struct Open { size_t end; bool sequence; };   // end: SIZE_MAX for an undefined length
    std::vector<Open> open;
    int depth = 0;
    auto pop = [&]() { if (open.back().sequence) depth--; open.pop_back(); };
    size_t pos = start;
    while (pos + 8 <= size) {
        while (!open.empty() && open.back().end <= pos) pop();
        uint32_t group = u16(pos), element = u16(pos + 2);
        if (group == 0xFFFE) {
            uint32_t len = u32(pos + 4);
            pos += 8;
            if (element == 0xE000) {           // an item: its contents are elements
                open.push_back({len == undefined ? SIZE_MAX : pos + len, false});
                if (open.size() > size_t(2 * max_sequence_depth + 1)) {   // items directly in items: no sequence between them
                    set_err(err, errlen, "items nested more than " + std::to_string(max_sequence_depth) + " deep (a crafted file)");
                    return -1;
                }
            } else if (!open.empty()) {        // item (E00D) or sequence (E0DD) delimiter closes the innermost
                pop();
            }
            continue;
        }
        size_t header = 8;
        uint32_t len;
        bool sequence;
        if (explicit_vr) {
            char vr[3] = {char(p[pos + 4]), char(p[pos + 5]), 0};
            static const char *long_vrs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
            bool long_form = false;
            for (const char *v : long_vrs) long_form = long_form || std::strcmp(v, vr) == 0;
            if (long_form) {
                if (pos + 12 > size) break;
                len = u32(pos + 8);
                header = 12;
            } else {
                len = u16(pos + 6);
            }
            sequence = std::strcmp(vr, "SQ") == 0 || len == undefined;
        } else {
            len = u32(pos + 4);
            sequence = len == undefined ||
                       (pos + 12 <= size && len >= 8 && u16(pos + 8) == 0xFFFE && u16(pos + 10) == 0xE000);
        }
        pos += header;
        if (!sequence) {
            pos += len;                        // past the value (beyond the end: the scan stops)
            continue;
        }
        if (++depth > max_sequence_depth) {
            set_err(err, errlen, "sequences nested more than " + std::to_string(max_sequence_depth) +
                                     " deep (a crafted file; the parser would recurse without bound)");
            return -1;
        }
        open.push_back({len == undefined ? SIZE_MAX : pos + len, true});
    }
    return 0;
}

} // namespace

// GDCM calls these when it sets up a JPEG decoder; this executable's definitions come first (ELF interposition, as
// gdcm_trap.c's __assert_fail): libjpeg's warnings ("Corrupt JPEG data: premature end of data segment", printed to
// stderr without a file name while the missing data was zero-filled) become the failing file's error instead.
extern "C" void *gdcmjpeg8_jpeg_std_error(void *err) {
    return hooked_std_error(static_cast<jpeg_error_methods *>(err), "gdcmjpeg8_jpeg_std_error");
}
extern "C" void *gdcmjpeg12_jpeg_std_error(void *err) {
    return hooked_std_error(static_cast<jpeg_error_methods *>(err), "gdcmjpeg12_jpeg_std_error");
}
extern "C" void *gdcmjpeg16_jpeg_std_error(void *err) {
    return hooked_std_error(static_cast<jpeg_error_methods *>(err), "gdcmjpeg16_jpeg_std_error");
}

extern "C" caslite_dicom *caslite_dicom_open(const void *bytes, size_t size, char *err, size_t errlen) {
    quiet_gdcm();
    caslite_dicom *d = new (std::nothrow) caslite_dicom();
    if (!d) {
        set_err(err, errlen, "out of memory");
        return nullptr;
    }
    d->size = size;
    // A deflated data set (transfer syntax 1.2.840.10008.1.2.1.99) is larger than the file: GDCM inflates it
    // while reading. Known from the meta header alone (GDCM reads up to the first data set element).
    bool deflated = false, explicit_vr = true, big_endian = false;
    size_t meta_end = 0;
    auto probe = [&]() -> int {
        MemoryBuffer buffer(bytes, size);
        std::istream in(&buffer);
        gdcm::Reader meta;
        meta.SetStream(in);
        meta.ReadUpToTag(gdcm::Tag(0x0008, 0x0000));
        const gdcm::TransferSyntax ts = meta.GetFile().GetHeader().GetDataSetTransferSyntax();
        deflated = ts == gdcm::TransferSyntax::DeflatedExplicitVRLittleEndian;
        explicit_vr = ts.IsValid() ? ts.IsExplicit() : false;   // no meta header: implicit VR little endian
        big_endian = ts.IsValid() && ts.GetSwapCode() == gdcm::SwapCode::BigEndian;
        meta_end = static_cast<uint32_t>(meta.GetFile().GetHeader().GetFullLength());  // preamble and group 0002
        return 0;
    };
    if (guarded(probe, "DICOM meta header", size + alloc_slack, err, errlen) == -2) {
        delete d;  // the trap fired in probe's own reader (leaked); d was not touched
        return nullptr;
    }
    // GDCM's inflating stream never ends on a cut or damaged deflate stream (a truncated deflated file kept a
    // worker at 100 % CPU for good): the stream is inflated once here, output discarded, before GDCM sees it
    std::vector<unsigned char> inflated;
    if (deflated && !deflate_stream_ok(static_cast<const unsigned char *>(bytes), size, meta_end, max_inflated, err, errlen, &inflated)) {
        delete d;
        return nullptr;
    }
    // GDCM's parser recurses into nested sequences: their depth is checked first, on the (inflated) data set
    int nesting = deflated ? check_nesting(inflated.data(), inflated.size(), 0, true, false, err, errlen)
                           : check_nesting(static_cast<const unsigned char *>(bytes), size, meta_end, explicit_vr, big_endian, err, errlen);
    std::vector<unsigned char>().swap(inflated);
    if (nesting != 0) {
        delete d;
        return nullptr;
    }
    auto body = [&]() -> int {
        MemoryBuffer buffer(bytes, size);
        std::istream in(&buffer);
        d->reader.SetStream(in);
        // Read() copies everything it keeps; the buffer and stream end here and are never read again
        if (!d->reader.Read()) {
            set_err(err, errlen, "not a DICOM image GDCM can read (damaged, truncated, or without pixel data)");
            return -1;
        }
        if (deflated) return 0;  // inflated elements are longer than the file; a cut stream fails to inflate
        unsigned long long need = claimed_length(d->reader.GetFile());
        if (need <= size) return 0;
        set_err(err, errlen, "the DICOM file is truncated: its elements need " + std::to_string(need) + " bytes, the file has " +
                                 std::to_string(size));
        return -1;
    };
    // deflate compresses at most 1032:1; the inflated data set is capped at the largest HU image allowed (2^27 × 2 bytes)
    size_t cap = size + alloc_slack + (deflated ? std::min(size * 1032, max_inflated) : 0);
    int r = guarded(body, "DICOM file", cap, err, errlen);
    if (r == 0) return d;
    if (r == -1) delete d;  // -2: poisoned, leaked
    return nullptr;
}

extern "C" void caslite_dicom_close(caslite_dicom *d) {
    if (d && !d->poisoned) delete d;
}

extern "C" int caslite_dicom_info_get(const caslite_dicom *d, caslite_dicom_info *info, char *err, size_t errlen) {
    auto body = [&]() -> int {
        const gdcm::Image &img = d->reader.GetImage();
        const gdcm::PixelFormat &pf = img.GetPixelFormat();
        std::memset(info, 0, sizeof *info);
        unsigned nd = img.GetNumberOfDimensions();
        if (nd < 2) {
            set_err(err, errlen, "the DICOM file describes no image (no Rows/Columns)");
            return -1;
        }
        const gdcm::DataSet &ds = d->reader.GetFile().GetDataSet();
        if (check_rescales(ds, err, errlen) != 0 || check_bits(ds, err, errlen) != 0 || check_photometric(ds, err, errlen) != 0) return -1;
        info->columns = img.GetDimension(0);
        info->rows = img.GetDimension(1);
        // GDCM takes a JPEG stream's own size over Rows/Columns: a header that disagrees with its pixel data is refused
        long rows = us_element<gdcm::Attribute<0x0028, 0x0010>>(ds), columns = us_element<gdcm::Attribute<0x0028, 0x0011>>(ds);
        if ((rows >= 0 && rows != long(info->rows)) || (columns >= 0 && columns != long(info->columns))) {
            set_err(err, errlen, "the pixel data is " + std::to_string(info->columns) + "x" + std::to_string(info->rows) +
                                     " pixels but the DICOM header says Columns " + std::to_string(columns) + ", Rows " + std::to_string(rows));
            return -1;
        }
        info->frames = nd >= 3 ? img.GetDimension(2) : 1;
        info->samples_per_pixel = pf.GetSamplesPerPixel();
        info->bits_allocated = pf.GetBitsAllocated();
        info->bits_stored = pf.GetBitsStored();
        info->pixel_signed = pf.GetPixelRepresentation() ? 1 : 0;
        gdcm::PixelFormat::ScalarType st = pf.GetScalarType();
        info->is_float = (st == gdcm::PixelFormat::FLOAT32 || st == gdcm::PixelFormat::FLOAT64) ? 1 : 0;
        info->slope = img.GetSlope();
        info->intercept = img.GetIntercept();
        if (!std::isfinite(info->slope) || info->slope == 0 || !std::isfinite(info->intercept)) {
            set_err(err, errlen, "the rescale GDCM derived is slope " + std::to_string(info->slope) + ", intercept " +
                                     std::to_string(info->intercept) + ": not finite numbers with a non-zero slope");
            return -1;
        }
        const char *ts = gdcm::TransferSyntax::GetTSString(img.GetTransferSyntax());
        std::snprintf(info->transfer_syntax, sizeof info->transfer_syntax, "%s", ts ? ts : "");
        const char *pi = gdcm::PhotometricInterpretation::GetPIString(img.GetPhotometricInterpretation());
        std::snprintf(info->photometric, sizeof info->photometric, "%s", pi ? pi : "");
        for (unsigned i = 0; i < 3; i++) {
            info->spacing[i] = i < nd ? img.GetSpacing(i) : 1.0;
            info->origin[i] = img.GetOrigin(i);
        }
        return 0;
    };
    return guarded(d, body, "DICOM header", d->size + alloc_slack, err, errlen);
}

extern "C" int caslite_dicom_read_hu(const caslite_dicom *d, int16_t *out, size_t count, size_t max_values, char *err,
                                     size_t errlen) {
    auto body = [&]() -> int {
        const gdcm::Image &img = d->reader.GetImage();
        const gdcm::PixelFormat &pf = img.GetPixelFormat();
        if (check_pixels(img, count, max_values, err, errlen) != 0) return -1;
        size_t n = count;
        if (pf.GetSamplesPerPixel() != 1) {
            set_err(err, errlen, "color DICOM images (" + std::to_string(pf.GetSamplesPerPixel()) +
                                     " samples per pixel) are not supported: Hounsfield units need one sample");
            return -1;
        }
        unsigned long len = img.GetBufferLength();
        unsigned bytes = pf.GetPixelSize();
        if (bytes == 0 || len != n * bytes) {
            set_err(err, errlen, "the DICOM pixel description is inconsistent (" + std::to_string(len) + " bytes for " +
                                     std::to_string(n) + " pixels)");
            return -1;
        }
        return decode_hu(img, n, len, out, err, errlen);
    };
    // the decoded buffer (count values of at most 8 bytes, checked above) and a decompressor's copy of the file
    size_t cap = d->size + (count > max_values ? max_values : count) * 8 + alloc_slack;
    return guarded(d, body, "DICOM pixel data", cap, err, errlen);
}

namespace {

// 8-bit RGB of a decoded color buffer (`n` pixels of 3 samples, `bytes` 1 or 2 per sample, planar or not).
void to_rgb8(const char *buf, size_t n, unsigned bytes, bool planar, bool ybr, uint8_t *out) {
    auto sample = [&](size_t i, unsigned c) -> double {
        size_t k = planar ? c * n + i : i * 3 + c;
        if (bytes == 1) return static_cast<uint8_t>(buf[k]);
        uint16_t v;
        std::memcpy(&v, buf + 2 * k, 2);
        return v / 257.0;
    };
    auto u8 = [](double v) { return static_cast<uint8_t>(std::min(255.0, std::max(0.0, std::floor(v + 0.5)))); };
    for (size_t i = 0; i < n; i++) {
        double a = sample(i, 0), b = sample(i, 1), c = sample(i, 2);
        if (ybr) {  // PS3.3 C.7.6.3.1.2: Y, Cb, Cr (full range) to R, G, B
            double y = a, cb = b - 128, cr = c - 128;
            a = y + 1.402 * cr;
            b = y - 0.344136 * cb - 0.714136 * cr;
            c = y + 1.772 * cb;
        }
        out[3 * i] = u8(a);
        out[3 * i + 1] = u8(b);
        out[3 * i + 2] = u8(c);
    }
}

// Uncompressed YBR_FULL_422 (PS3.3 C.7.6.3.1.2): two neighbouring pixels of a row share their chroma and are
// stored as Y1 Y2 Cb Cr, so the data is 2 bytes per pixel where GDCM's buffer length says 3. Read from the
// element's bytes (nothing to decompress), expanded to Y Cb Cr per pixel, then converted like YBR_FULL.
int ybr422_to_rgb8(const gdcm::Image &img, size_t n, unsigned bytes, uint8_t *out, char *err, size_t errlen) {
    if (bytes != 1 || img.GetDimension(0) % 2 != 0) {
        set_err(err, errlen, "YBR_FULL_422 needs 8-bit samples and an even number of columns");
        return -1;
    }
    const gdcm::ByteValue *raw = img.GetDataElement().GetByteValue();
    unsigned long have = raw ? static_cast<unsigned long>(static_cast<uint32_t>(raw->GetLength())) : 0;
    if (!raw || have < n * 2) {
        set_err(err, errlen, "the pixel data is truncated: " + std::to_string(have) + " of " + std::to_string(n * 2) + " bytes");
        return -1;
    }
    const char *p = raw->GetPointer();
    std::vector<char> full(n * 3);
    for (size_t i = 0; i + 1 < n; i += 2) {
        const char *q = p + 2 * i;  // Y1 Y2 Cb Cr
        char *a = &full[3 * i], *b = &full[3 * i + 3];
        a[0] = q[0], a[1] = q[2], a[2] = q[3];
        b[0] = q[1], b[1] = q[2], b[2] = q[3];
    }
    to_rgb8(full.data(), n, 1, false, true, out);
    return 0;
}

} // namespace

extern "C" int caslite_dicom_read_rgb8(const caslite_dicom *d, uint8_t *out, size_t pixels, size_t max_pixels, char *err,
                                       size_t errlen) {
    auto body = [&]() -> int {
        const gdcm::Image &stored = d->reader.GetImage();
        if (check_pixels(stored, pixels, max_pixels, err, errlen) != 0) return -1;
        // PALETTE COLOR: one index per pixel, looked up in the file's red, green and blue tables by GDCM
        gdcm::ImageApplyLookupTable palette;
        const gdcm::Image *rgb = &stored;
        if (stored.GetPhotometricInterpretation() == gdcm::PhotometricInterpretation::PALETTE_COLOR) {
            std::vector<char> indices;  // the truncation check on the stored indices, before GDCM reads them
            if (decoded_buffer(stored, stored.GetBufferLength(), indices, err, errlen) != 0) return -1;
            palette.SetInput(stored);
            if (!palette.Apply()) {
                set_err(err, errlen, "the palette (PALETTE COLOR lookup tables) cannot be applied");
                return -1;
            }
            rgb = &palette.GetOutput();
        }
        const gdcm::Image &img = *rgb;
        const gdcm::PixelFormat &pf = img.GetPixelFormat();
        size_t n = pixels;
        unsigned bytes = pf.GetBitsAllocated() / 8;
        if (pf.GetSamplesPerPixel() != 3 || (pf.GetBitsAllocated() != 8 && pf.GetBitsAllocated() != 16)) {
            set_err(err, errlen, "color DICOM images need 3 samples of 8 or 16 bits (this one has " + std::to_string(pf.GetSamplesPerPixel()) +
                                     " of " + std::to_string(pf.GetBitsAllocated()) + ")");
            return -1;
        }
        gdcm::PhotometricInterpretation::PIType pi = img.GetPhotometricInterpretation();
        bool encapsulated = img.GetTransferSyntax().IsEncapsulated();
        // JPEG 2000 decoders hand back RGB (the codec undoes its color transform, YBR_RCT/ICT); GDCM's JPEG
        // decoder hands back YBR_FULL and YBR_FULL_422 as stored (upsampled, not converted: pydicom and dcmj2pnm
        // convert them); RLE and uncompressed data stay in the stored color space
        bool ybr = pi == gdcm::PhotometricInterpretation::YBR_FULL || pi == gdcm::PhotometricInterpretation::YBR_FULL_422;
        if (pi != gdcm::PhotometricInterpretation::RGB && pi != gdcm::PhotometricInterpretation::YBR_FULL &&
            pi != gdcm::PhotometricInterpretation::YBR_FULL_422 && pi != gdcm::PhotometricInterpretation::YBR_RCT &&
            pi != gdcm::PhotometricInterpretation::YBR_ICT) {
            const char *s = gdcm::PhotometricInterpretation::GetPIString(pi);
            set_err(err, errlen, std::string("color DICOM images in ") + (s ? s : "this photometric interpretation") + " are not supported");
            return -1;
        }
        if (!encapsulated && pi == gdcm::PhotometricInterpretation::YBR_FULL_422) return ybr422_to_rgb8(img, n, bytes, out, err, errlen);
        // GDCM 3.0's RLE decoder puts the byte segments of 16-bit color samples in the wrong places (pydicom's
        // SC_rgb_rle_16bit.dcm: red 0xFFFF,0,0 comes back 0x0000,0xFF00,0x00FF); refused rather than wrong
        if (bytes == 2 && img.GetTransferSyntax() == gdcm::TransferSyntax::RLELossless) {
            set_err(err, errlen, "16-bit color RLE is not decoded correctly by GDCM 3.0; store it uncompressed or as 8-bit color");
            return -1;
        }
        unsigned long len = img.GetBufferLength();
        if (len != n * 3 * bytes) {
            set_err(err, errlen, "the DICOM pixel description is inconsistent (" + std::to_string(len) + " bytes for " + std::to_string(n) +
                                     " color pixels)");
            return -1;
        }
        std::vector<char> buf;
        if (decoded_buffer(img, len, buf, err, errlen) != 0) return -1;
        to_rgb8(buf.data(), n, bytes, img.GetPlanarConfiguration() == 1, ybr, out);
        return 0;
    };
    size_t cap = d->size + (pixels > max_pixels ? max_pixels : pixels) * 6 + alloc_slack;
    return guarded(d, body, "DICOM pixel data", cap, err, errlen);
}

namespace {

// PixelSpacing (row, column) from PixelMeasuresSequence in the shared functional groups, or in the first frame's.
bool enhanced_pixel_spacing(const gdcm::DataSet &ds, double *xy) {
    const gdcm::Tag shared(0x5200, 0x9229), per_frame(0x5200, 0x9230), measures(0x0028, 0x9110);
    for (const gdcm::Tag &group : {shared, per_frame}) {
        const gdcm::DataSet *g = first_item(ds, group);
        const gdcm::DataSet *m = g ? first_item(*g, measures) : nullptr;
        gdcm::Attribute<0x0028, 0x0030> ps;
        if (!m || !m->FindDataElement(ps.GetTag()) || m->GetDataElement(ps.GetTag()).IsEmpty()) continue;
        ps.SetFromDataElement(m->GetDataElement(ps.GetTag()));
        xy[0] = ps[1], xy[1] = ps[0];  // PixelSpacing is row spacing \ column spacing
        return true;
    }
    return false;
}

} // namespace

extern "C" int caslite_dicom_frame_geometry(const caslite_dicom *d, double *positions, size_t frames, double *orientation,
                                            double *spacing, char *err, size_t errlen) {
    int found = 0;
    auto body = [&]() -> int {
        const gdcm::Image &img = d->reader.GetImage();
        for (unsigned i = 0; i < 6; i++) orientation[i] = img.GetDirectionCosines(i);
        const gdcm::DataSet &ds = d->reader.GetFile().GetDataSet();
        if (!enhanced_pixel_spacing(ds, spacing)) spacing[0] = img.GetSpacing(0), spacing[1] = img.GetSpacing(1);
        const gdcm::Tag per_frame(0x5200, 0x9230), plane_position(0x0020, 0x9113);
        if (!ds.FindDataElement(per_frame)) return 0;
        gdcm::SmartPointer<gdcm::SequenceOfItems> items = ds.GetDataElement(per_frame).GetValueAsSQ();
        if (!items || items->GetNumberOfItems() != frames) return 0;
        for (size_t f = 0; f < frames; f++) {
            const gdcm::DataSet &item = items->GetItem(f + 1).GetNestedDataSet();
            if (!item.FindDataElement(plane_position)) return 0;
            gdcm::SmartPointer<gdcm::SequenceOfItems> plane = item.GetDataElement(plane_position).GetValueAsSQ();
            if (!plane || plane->GetNumberOfItems() < 1) return 0;
            const gdcm::DataSet &pos = plane->GetItem(1).GetNestedDataSet();
            gdcm::Attribute<0x0020, 0x0032> ipp;
            if (!pos.FindDataElement(ipp.GetTag())) return 0;
            ipp.SetFromDataElement(pos.GetDataElement(ipp.GetTag()));
            for (unsigned k = 0; k < 3; k++) positions[3 * f + k] = ipp[k];
        }
        found = 1;
        return 0;
    };
    return guarded(d, body, "DICOM per-frame positions", d->size + alloc_slack, err, errlen) < 0 ? -1 : found;
}

extern "C" int64_t caslite_dicom_tag(const caslite_dicom *d, const char *keyword, char *out, size_t outlen, char *err,
                                     size_t errlen) {
    int64_t length = -1;
    auto body = [&]() -> int {
        const gdcm::Dict &dict = gdcm::Global::GetInstance().GetDicts().GetPublicDict();
        gdcm::Tag tag;
        dict.GetDictEntryByKeyword(keyword, tag);
        if (tag == gdcm::Tag(0xffff, 0xffff)) {
            set_err(err, errlen, std::string("'") + keyword + "' is not a DICOM keyword");
            return -1;
        }
        const gdcm::File &file = d->reader.GetFile();
        std::string v;
        if (file.GetDataSet().FindDataElement(tag)) {
            gdcm::StringFilter sf;
            sf.SetFile(file);
            v = trimmed(sf.ToString(tag));
        }
        if (outlen > 0) std::snprintf(out, outlen, "%s", v.c_str());
        length = static_cast<int64_t>(v.size());
        return 0;
    };
    return guarded(d, body, "DICOM element", d->size + alloc_slack, err, errlen) == 0 ? length : -1;
}
