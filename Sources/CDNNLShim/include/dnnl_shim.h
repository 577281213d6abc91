// The only interface DLEngine has to oneDNN. Every oneDNN call lives in dnnl_shim.c so that the
// 2.x -> 3.x API break (Debian 12 ships 2.6.3, Debian 13 ships 3.7) stays inside one C file.
//
// Layouts seen by the caller (plain, dense, float32):
//   activations  NHWC          src [N, IH, IW, IC], dst [N, OH, OW, OC]
//   weights      torch layout  [OC, IC/G, KH, KW]   (oneDNN oihw, or goihw when G > 1)
//   bias         [OC]
// oneDNN picks its own weight layout ("any"); the shim reorders to and from the plain one. Those
// reordered copies live in one buffer per calling thread for the duration of a call; only the
// forward copy cached by weights_version (inference) is kept per convolution.
// Activations may run blocked inside the shim (act_layout below): src, dst and their gradients are then
// reordered between the caller's NHWC and oneDNN's layout (e.g. nChw8c) in per-thread buffers on every
// call; the caller still sees NHWC only.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Geometry of one 2-D convolution. Dilation uses the engine convention: 1 = dense kernel
/// (oneDNN's own convention is dilation - 1; the shim converts). Padding may be asymmetric.
typedef struct dlshim_conv_desc {
    int64_t n, ic, ih, iw;
    int64_t oc, oh, ow;
    int64_t kh, kw;
    int64_t stride_h, stride_w;
    int64_t dilation_h, dilation_w;
    int64_t pad_top, pad_left, pad_bottom, pad_right;
    int64_t groups;
    int32_t has_bias;   /* 1: forward adds bias[OC], backward-weights also returns diff_bias */
    int32_t fuse_relu;  /* forward post-op: 0 none, 1 ReLU, 2 ReLU6 (clip to 0..6) */
    int32_t training;   /* 1: forward_training (backward primitives allowed); 0: forward_inference */
    int32_t bf16;       /* 1: bf16 arithmetic (see below); 0: float32 throughout */
    int32_t act_layout; /* DLSHIM_LAYOUT_*: the activation layout the primitives compute in */
} dlshim_conv_desc;

/// act_layout values. AUTO: blocked where that measured faster (float32 on a CPU without AVX-512, see
/// docs/engine.md), else NHWC. NHWC: the caller's layout, no activation reorders. BLOCKED: oneDNN's
/// choice ("any") for src and dst in every pass, reordered from/to NHWC per call. bf16, int8 and the
/// strided 1x1 weight-gradient workaround always run NHWC; so does a convolution for which oneDNN has
/// only its reference kernels in a blocked layout.
enum { DLSHIM_LAYOUT_AUTO = 0, DLSHIM_LAYOUT_NHWC = 1, DLSHIM_LAYOUT_BLOCKED = 2 };

// bf16 mode (desc.bf16 == 1) keeps every buffer the caller sees in float32: the shim rounds src,
// diff_dst and the weights to bf16 (round to nearest even, oneDNN reorders) into per-thread transient
// buffers, and the primitives accumulate in float32 and write float32 dst, diff_src, diff_weights and
// diff_bias. Callers keep float32 master weights; only the products run on the CPU's bf16 units.

/// int8 inference (post-training quantization) of one convolution: the caller's buffers stay float32.
/// The shim quantizes src to round(src · src_scale) + src_zero_point (u8, or s8 when src_signed, which
/// takes no zero point) and the weights per output channel to round(w · w_scales[oc]) (s8), saturating,
/// with oneDNN reorders; oneDNN accumulates (q_src − zero point) · q_w in int32 and writes float32
/// dst = acc / (src_scale · w_scales[oc]) + bias (then the fused activation).
typedef struct dlshim_int8 {
    float src_scale;
    int32_t src_signed;
    int32_t src_zero_point;  /* u8 only: an asymmetric range min..max maps to 0..255 */
    const float *w_scales;   /* [OC], copied by dlshim_conv_create_int8 */
} dlshim_int8;

/// Opaque handle owning the primitives of one convolution shape (created once, reused).
typedef struct dlshim_conv dlshim_conv;

/// Creates the forward primitive (backward primitives are created lazily on first use).
/// Returns 0 on success or a oneDNN status code; `*out` is NULL on failure.
int dlshim_conv_create(const dlshim_conv_desc *desc, dlshim_conv **out);
/// An int8 inference convolution (desc->training must be 0, desc->bf16 0); used through
/// dlshim_conv_forward like any other (weights_version caches the quantized weights).
int dlshim_conv_create_int8(const dlshim_conv_desc *desc, const dlshim_int8 *q, dlshim_conv **out);
void dlshim_conv_destroy(dlshim_conv *conv);

/// dst = conv(src, weights) (+ bias) (ReLU if fused). Overwrites dst. bias may be NULL when has_bias == 0.
/// weights_version: 0 = reorder the weights into oneDNN's layout on this call; otherwise the reordered
/// copy is reused while the same version comes again (and `weights` is then not read): the caller
/// gives every distinct weight content its own version (bumped whenever the weights change).
int dlshim_conv_forward(dlshim_conv *conv, const float *src, const float *weights, const float *bias, float *dst,
                        uint64_t weights_version);
/// diff_src = conv_backward_data(diff_dst, weights). Overwrites diff_src. Requires training == 1.
int dlshim_conv_backward_data(dlshim_conv *conv, const float *diff_dst, const float *weights, float *diff_src);
/// diff_weights (and diff_bias if has_bias) from src and diff_dst. Overwrites both. Requires training == 1.
int dlshim_conv_backward_weights(dlshim_conv *conv, const float *src, const float *diff_dst,
                                 float *diff_weights, float *diff_bias);

/// Both backward passes of one step: diff_weights/diff_bias (skipped when diff_weights is NULL), then
/// diff_src (skipped when NULL), reading diff_dst once (in bf16 mode it is rounded once for both).
int dlshim_conv_backward(dlshim_conv *conv, const float *src, const float *diff_dst, const float *weights, float *diff_src,
                         float *diff_weights, float *diff_bias);

/// 1 when the forward primitive reads weights in a layout other than the plain one (so it reorders
/// them, and the weights_version cache applies), else 0.
int dlshim_conv_reorders_weights(dlshim_conv *conv);

/// 1 when the primitives compute in a blocked activation layout (so every call reorders src/dst), else 0.
int dlshim_conv_blocked(dlshim_conv *conv);

/// Name of the implementation oneDNN chose for the forward primitive (e.g. "brgconv:avx512_core").
const char *dlshim_conv_impl_name(dlshim_conv *conv);

/// Thread count for every later oneDNN call (applied with omp_set_num_threads on the calling thread
/// before each execution, since OpenMP's thread count is per calling thread). Until it is called,
/// OpenMP's default applies (OMP_NUM_THREADS, else the number of cores), as it does for OpenBLAS.
void dlshim_set_num_threads(int n);
int dlshim_get_num_threads(void);

/// 1 when this CPU, as oneDNN is allowed to use it (DNNL_MAX_CPU_ISA), has the AVX-512 BF16 dot
/// product instructions (vdpbf16ps) that make bf16 convolutions fast; else 0.
int dlshim_has_bf16(void);
/// 1 when this CPU, as oneDNN is allowed to use it, has AVX-512 VNNI (vpdpbusd, int8 dot products).
int dlshim_has_vnni(void);
/// oneDNN's effective ISA as text, e.g. "avx512_core_bf16" (for messages).
const char *dlshim_isa_name(void);

/// oneDNN status code as text ("unimplemented", "invalid_arguments", ...).
const char *dlshim_status_string(int status);
/// "major.minor.patch" of the oneDNN library loaded at run time.
const char *dlshim_version(void);

#ifdef __cplusplus
}
#endif
