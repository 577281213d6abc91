// oneDNN 2.x convolution shim for DLEngine. See include/dnnl_shim.h for the contract.
// Written against Debian 12's libdnnl 2.6.3 (op-descriptor API). oneDNN 3.x removed the
// *_desc_init functions: a port goes behind `#if DNNL_VERSION_MAJOR >= 3` in this file only.
#include "dnnl_shim.h"

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if DNNL_VERSION_MAJOR >= 3
#error "dnnl_shim.c is written for the oneDNN 2.x API; add a 3.x branch (see docs/engine.md)"
#endif

extern void omp_set_num_threads(int);
extern int omp_get_max_threads(void);

#define TRY(call)                                   \
    do {                                            \
        dnnl_status_t s_ = (call);                  \
        if (s_ != dnnl_success) return (int)s_;     \
    } while (0)

// MARK: - process-wide engine and thread count

static dnnl_engine_t g_engine = NULL;
static dnnl_status_t g_engine_status = dnnl_success;
static pthread_once_t g_engine_once = PTHREAD_ONCE_INIT;
static volatile int g_num_threads = 0;   // 0: not set, OpenMP's default (OMP_NUM_THREADS or the cores)

static void make_engine(void) { g_engine_status = dnnl_engine_create(&g_engine, dnnl_cpu, 0); }

void dlshim_set_num_threads(int n) { g_num_threads = n < 1 ? 1 : n; }
int dlshim_get_num_threads(void) { return g_num_threads > 0 ? g_num_threads : omp_get_max_threads(); }

const char *dlshim_status_string(int status) { return dnnl_status2str((dnnl_status_t)status); }

int dlshim_has_bf16(void) {
    return (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
}
int dlshim_has_vnni(void) {
    return (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core_vnni) == dnnl_cpu_isa_avx512_core_vnni;
}
const char *dlshim_isa_name(void) {
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
    }
}

const char *dlshim_version(void) {
    static char buf[32];
    const dnnl_version_t *v = dnnl_version();
    snprintf(buf, sizeof buf, "%d.%d.%d", v->major, v->minor, v->patch);
    return buf;
}

// MARK: - one convolution

// MARK: - per-thread transient buffer

// Weights in oneDNN's layout are needed only for the duration of one call, except the forward copy
// that inference caches across calls (weights_version != 0). Those transient copies live in one
// growing buffer per calling thread instead of three copies per convolution (for ResNet-50 training
// that is ~270 MB less). Safe: a buffer is used by one shim call at a time, on the thread that owns it
// (oneDNN's OpenMP workers only read/write it inside that call).
enum { TL_WEIGHTS = 0, TL_ACT_A = 1, TL_ACT_B = 2, TL_SLOTS = 3 };   // what one call needs at once
typedef struct {
    void *p[TL_SLOTS];
    size_t cap[TL_SLOTS];
} tl_buffer;
static pthread_key_t g_tl_key;
static pthread_once_t g_tl_once = PTHREAD_ONCE_INIT;
static void tl_release(void *v) {
    tl_buffer *b = v;
    for (int i = 0; i < TL_SLOTS; i++) free(b->p[i]);
    free(b);
}
static void tl_make_key(void) { pthread_key_create(&g_tl_key, tl_release); }

/// At least `size` bytes, 64-byte aligned, owned by the calling thread (one buffer per `slot`, so the
/// weights and two activation copies of one call do not overlap); NULL when out of memory.
static void *transient_buffer(int slot, size_t size) {
    pthread_once(&g_tl_once, tl_make_key);
    tl_buffer *b = pthread_getspecific(g_tl_key);
    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b || pthread_setspecific(g_tl_key, b)) { free(b); return NULL; }
    }
    if (b->cap[slot] < size) {
        free(b->p[slot]);
        b->p[slot] = NULL;
        b->cap[slot] = 0;
        if (posix_memalign(&b->p[slot], 64, size)) { b->p[slot] = NULL; return NULL; }
        b->cap[slot] = size;
    }
    return b->p[slot];
}

/// A weight tensor in oneDNN's chosen layout plus the reorder that fills it from / drains it to
/// the plain torch layout. `reorder` is NULL when the chosen layout already is the plain one.
/// `internal` has no memory of its own: its handle points at the thread's transient buffer, or at
/// `cached` (allocated on first use) when a forward call caches the reordered weights by version.
typedef struct {
    dnnl_memory_t internal;
    dnnl_primitive_t reorder;
    dnnl_memory_t scratch;    // reorder scratchpad (NULL when it needs none)
    size_t size;              // bytes of the weights in oneDNN's layout
    void *cached;             // the version-cached copy (forward only), NULL until needed
    const void *filled_from;  // user pointer and version `cached` was last filled from
    uint64_t filled_version;
} weight_slot;

/// An activation moved between the caller's plain float32 NHWC buffer (`user`) and the copy a primitive
/// reads or writes (`internal`, in the thread's transient buffer `tl_slot`) by a oneDNN reorder: rounded
/// (bf16) or quantized (u8/s8) in the same layout, or float32 in a blocked layout (blocked mode, where
/// `to_user` reorders an output back). Unused (all NULL) when neither applies.
typedef struct {
    dnnl_memory_t user, internal;   // no memory of their own: handles set per call
    dnnl_primitive_t reorder;       // user -> internal, or internal -> user when to_user
    dnnl_memory_t scratch;
    size_t size;                    // bytes of the internal copy
    int tl_slot;
} act_cast;

// Every primitive runs with a user-provided scratchpad owned by this handle: with oneDNN's default
// (library-managed, shared) scratchpad, primitives executed concurrently from different threads
// corrupt each other (observed: segfaults in parallel tests with 2 OpenMP threads).
struct dlshim_conv {
    dlshim_conv_desc d;
    dnnl_stream_t stream;
    dnnl_memory_desc_t src_md, dst_md, wei_md, bias_md;   // plain user layouts
    dnnl_memory_t src, dst, wei, bias;                    // user memories, data handle set per call
    dnnl_primitive_desc_t fwd_pd, bwd_data_pd, bwd_w_pd;
    dnnl_primitive_t fwd, bwd_data, bwd_w;
    dnnl_memory_t fwd_scratch, bwd_data_scratch, bwd_w_scratch;
    // Strided 1x1 convolutions without padding get their weight gradient from a stride-1 1x1
    // primitive on a subsampled copy of src: oneDNN 2.6.3's jit_1x1 backward_weights for strides > 1
    // ("rtus") races with 2+ OpenMP threads when IC is small (wrong dW every other call, heap
    // corruption; reproduced with IC=4, OC=8, stride 2). bwd_w_src is that copy [N, OH, OW, IC].
    int subsample_bwd_w;
    dnnl_memory_t bwd_w_src;
    dnnl_primitive_desc_t bwd_w_hint_pd;
    weight_slot fwd_w, bwd_data_w, bwd_w_w;
    // bf16 mode only: bf16 descriptions of src and dst, and the casts of src, diff_dst and the
    // subsampled src (subsample_bwd_w) into them.
    dnnl_memory_desc_t src_lp_md, dst_lp_md;
    act_cast src_cast, diff_dst_cast, sub_cast;
    // Blocked mode (act_layout): the layouts the primitives compute src/diff_src and dst/diff_dst in
    // (oneDNN's choice for the forward, imposed on the backward passes), and the moves into them
    // (src_cast, diff_dst_cast) and out of them (dst_out, diff_src_out).
    int blocked;
    dnnl_memory_desc_t src_blk_md, dst_blk_md;
    act_cast dst_out, diff_src_out;
    // int8 only: src quantization, per-channel weight scales [OC], and the bias in the
    // accumulator's scale (oneDNN 2.x adds the bias before the output scales).
    int int8;
    float src_scale;
    int src_signed;
    int32_t src_zp;
    float *w_scales, *out_scales, *bias_q;
};

/// A primitive attribute with a user-managed scratchpad, optional output scales (count > 0), and
/// optionally a fused ReLU (1) or ReLU6 (2) post-op.
static int make_scaled_attr(dnnl_primitive_attr_t *attr, int relu, dnnl_dim_t count, int mask, const float *scales) {
    TRY(dnnl_primitive_attr_create(attr));
    TRY(dnnl_primitive_attr_set_scratchpad_mode(*attr, dnnl_scratchpad_mode_user));
    if (count > 0) TRY(dnnl_primitive_attr_set_output_scales(*attr, count, mask, scales));
    if (relu) {
        dnnl_post_ops_t po;
        TRY(dnnl_post_ops_create(&po));
        if (relu == 2)
            TRY(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_clip, 0.f, 6.f));   // ReLU6
        else
            TRY(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_relu, 0.f, 0.f));
        TRY(dnnl_primitive_attr_set_post_ops(*attr, po));
        dnnl_post_ops_destroy(po);
    }
    return 0;
}

static int make_attr(dnnl_primitive_attr_t *attr, int relu) { return make_scaled_attr(attr, relu, 0, 0, NULL); }

/// Allocates the scratchpad a primitive descriptor asks for (NULL when it needs none).
static int make_scratch(const_dnnl_primitive_desc_t pd, dnnl_memory_t *mem) {
    *mem = NULL;
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (!md || dnnl_memory_desc_get_size(md) == 0) return 0;
    return (int)dnnl_memory_create(mem, md, g_engine, DNNL_MEMORY_ALLOCATE);
}

/// A reorder from `from` to `to` with its scratchpad; takes (and always destroys) `attr`.
static int make_reorder(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to, dnnl_primitive_attr_t attr,
                        dnnl_primitive_t *prim, dnnl_memory_t *scratch) {
    dnnl_primitive_desc_t rpd;
    dnnl_status_t s = dnnl_reorder_primitive_desc_create(&rpd, from, g_engine, to, g_engine, attr);
    dnnl_primitive_attr_destroy(attr);
    TRY(s);
    int rc = (int)dnnl_primitive_create(prim, rpd);
    if (!rc) rc = make_scratch(rpd, scratch);
    dnnl_primitive_desc_destroy(rpd);
    return rc;
}

/// The weight slot for a primitive that wants `want_md` while the caller holds `user_md` (`to_user`: the
/// reorder drains the primitive's layout back to the caller's). `count` > 0: per-channel output scales of the
/// reorder (int8 weights).
static int init_weight_slot(weight_slot *slot, const dnnl_memory_desc_t *user_md, const dnnl_memory_desc_t *want_md, int to_user,
                            dnnl_dim_t count, int mask, const float *scales) {
    slot->internal = NULL;
    slot->reorder = NULL;
    slot->scratch = NULL;
    slot->size = 0;
    slot->cached = NULL;
    slot->filled_from = NULL;
    slot->filled_version = 0;
    if (dnnl_memory_desc_equal(user_md, want_md)) return 0;
    slot->size = dnnl_memory_desc_get_size(want_md);
    TRY(dnnl_memory_create(&slot->internal, want_md, g_engine, DNNL_MEMORY_NONE));
    dnnl_primitive_attr_t attr;
    TRY(make_scaled_attr(&attr, 0, count, mask, scales));
    return to_user ? make_reorder(want_md, user_md, attr, &slot->reorder, &slot->scratch)
                   : make_reorder(user_md, want_md, attr, &slot->reorder, &slot->scratch);
}

static void free_weight_slot(weight_slot *slot) {
    free(slot->cached);
    if (slot->scratch) dnnl_memory_destroy(slot->scratch);
    if (slot->reorder) dnnl_primitive_destroy(slot->reorder);
    if (slot->internal) dnnl_memory_destroy(slot->internal);
}


/// Runs a primitive; `args` must have room for one more entry (the scratchpad).
static int execute(dlshim_conv *c, dnnl_primitive_t p, int nargs, dnnl_exec_arg_t *args, dnnl_memory_t scratch) {
    if (scratch) args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, scratch};
    if (g_num_threads > 0) omp_set_num_threads(g_num_threads);
    TRY(dnnl_primitive_execute(p, c->stream, nargs, args));
    return (int)dnnl_stream_wait(c->stream);
}

static int reorder(dlshim_conv *c, weight_slot *slot, dnnl_memory_t from, dnnl_memory_t to) {
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    return execute(c, slot->reorder, 2, args, slot->scratch);
}

static void dims_of(const dlshim_conv_desc *d, dnnl_dims_t strides, dnnl_dims_t dil, dnnl_dims_t pl, dnnl_dims_t pr) {
    strides[0] = d->stride_h; strides[1] = d->stride_w;
    dil[0] = d->dilation_h - 1; dil[1] = d->dilation_w - 1;
    pl[0] = d->pad_top; pl[1] = d->pad_left;
    pr[0] = d->pad_bottom; pr[1] = d->pad_right;
}

/// The weight description with oneDNN's choice of layout ("any") in data type `dt`.
static int weights_any(const dlshim_conv *c, dnnl_data_type_t dt, dnnl_memory_desc_t *md) {
    const dlshim_conv_desc *d = &c->d;
    if (d->groups == 1) {
        dnnl_dims_t wd = {d->oc, d->ic, d->kh, d->kw};
        return (int)dnnl_memory_desc_init_by_tag(md, 4, wd, dt, dnnl_format_tag_any);
    }
    dnnl_dims_t wd = {d->groups, d->oc / d->groups, d->ic / d->groups, d->kh, d->kw};
    return (int)dnnl_memory_desc_init_by_tag(md, 5, wd, dt, dnnl_format_tag_any);
}

/// A move between the caller's `user_md` and a primitive's `internal_md` (bf16 or int8 in the same layout, or
/// float32 blocked) using transient slot `tl_slot`: into the internal copy, or out of it when `to_user`. int8
/// casts scale by `*scale` and add `*zero_point` (NULL: none).
static int init_move(act_cast *a, const dnnl_memory_desc_t *user_md, const dnnl_memory_desc_t *internal_md, int tl_slot,
                     int to_user, const float *scale, const int32_t *zero_point) {
    a->tl_slot = tl_slot;
    a->size = dnnl_memory_desc_get_size(internal_md);
    TRY(dnnl_memory_create(&a->user, user_md, g_engine, DNNL_MEMORY_NONE));
    TRY(dnnl_memory_create(&a->internal, internal_md, g_engine, DNNL_MEMORY_NONE));
    dnnl_primitive_attr_t attr;
    TRY(make_scaled_attr(&attr, 0, scale ? 1 : 0, 0, scale));
    dnnl_status_t zs = zero_point && *zero_point ? dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_DST, 1, 0, zero_point) : dnnl_success;
    if (zs != dnnl_success) { dnnl_primitive_attr_destroy(attr); return (int)zs; }
    return to_user ? make_reorder(internal_md, user_md, attr, &a->reorder, &a->scratch)
                   : make_reorder(user_md, internal_md, attr, &a->reorder, &a->scratch);
}

static int init_cast(act_cast *a, const dnnl_memory_desc_t *user_md, const dnnl_memory_desc_t *internal_md, int tl_slot,
                     const float *scale, const int32_t *zero_point) {
    return init_move(a, user_md, internal_md, tl_slot, 0, scale, zero_point);
}

static void free_cast(act_cast *a) {
    if (a->scratch) dnnl_memory_destroy(a->scratch);
    if (a->reorder) dnnl_primitive_destroy(a->reorder);
    if (a->internal) dnnl_memory_destroy(a->internal);
    if (a->user) dnnl_memory_destroy(a->user);
}


/// Moves the float32 activation `from` into its internal copy (bf16, int8 or blocked) in the thread's
/// transient buffer; `*out` is that copy's memory.
static int cast_in(dlshim_conv *c, act_cast *a, const float *from, dnnl_memory_t *out) {
    void *t = transient_buffer(a->tl_slot, a->size);
    if (!t) return (int)dnnl_out_of_memory;
    TRY(dnnl_memory_set_data_handle(a->user, (void *)from));
    TRY(dnnl_memory_set_data_handle(a->internal, t));
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_FROM, a->user}, {DNNL_ARG_TO, a->internal}};
    TRY(execute(c, a->reorder, 2, args, a->scratch));
    *out = a->internal;
    return 0;
}

/// The memory a primitive writes an output into, to be moved to the caller's `to` by `output_end`: the
/// caller's buffer itself (`plain`, pointed at `to`), or the internal blocked copy in the thread's buffer.
static int output_begin(act_cast *a, dnnl_memory_t plain, float *to, dnnl_memory_t *out) {
    if (!a->reorder) {
        *out = plain;
        return (int)dnnl_memory_set_data_handle(plain, to);
    }
    void *t = transient_buffer(a->tl_slot, a->size);
    if (!t) return (int)dnnl_out_of_memory;
    TRY(dnnl_memory_set_data_handle(a->internal, t));
    *out = a->internal;
    return 0;
}

/// Reorders the internal copy filled since `output_begin` into the caller's `to` (nothing when unblocked).
static int output_end(dlshim_conv *c, act_cast *a, float *to) {
    if (!a->reorder) return 0;
    TRY(dnnl_memory_set_data_handle(a->user, to));
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_FROM, a->internal}, {DNNL_ARG_TO, a->user}};
    return execute(c, a->reorder, 2, args, a->scratch);
}

/// Blocked mode: the moves of src and diff_dst into the blocked layouts (TL_ACT_A, TL_ACT_B) and of dst and
/// diff_src out of them (TL_ACT_B, TL_ACT_A: diff_src reuses src's buffer, which backward_weights has read
/// by then). A side whose layout oneDNN left at NHWC gets no move.
static int init_blocked_moves(dlshim_conv *c) {
    if (!dnnl_memory_desc_equal(&c->src_blk_md, &c->src_md)) {
        TRY(init_move(&c->src_cast, &c->src_md, &c->src_blk_md, TL_ACT_A, 0, NULL, NULL));
        if (c->d.training) TRY(init_move(&c->diff_src_out, &c->src_md, &c->src_blk_md, TL_ACT_A, 1, NULL, NULL));
    }
    if (!dnnl_memory_desc_equal(&c->dst_blk_md, &c->dst_md)) {
        TRY(init_move(&c->dst_out, &c->dst_md, &c->dst_blk_md, TL_ACT_B, 1, NULL, NULL));
        if (c->d.training) TRY(init_move(&c->diff_dst_cast, &c->dst_md, &c->dst_blk_md, TL_ACT_B, 0, NULL, NULL));
    }
    return 0;
}

/// The strided 1x1 convolutions whose weight gradient goes through a subsampled copy of src (see
/// `subsample_bwd_w`).
static int subsamples_bwd_w(const dlshim_conv_desc *d) {
    return d->kh == 1 && d->kw == 1 && (d->stride_h > 1 || d->stride_w > 1) && !d->pad_top && !d->pad_left &&
           !d->pad_bottom && !d->pad_right;
}

/// Whether act_layout lets this convolution try oneDNN's blocked activation layouts. AUTO: float32 on a CPU
/// without AVX-512, where oneDNN 2.6.3's jit:avx2 kernels ran VGG16's 3x3 convolutions up to 2.3x faster on
/// nChw8c than on NHWC (docs/engine.md), and only with whole 8-channel blocks per group (no padded blocks:
/// a 16->7 1x1 detection head trained wrong in the engine when blocked, though the shim's own results
/// agree with NHWC; see docs/engine.md), and not for 1x1 kernels (MobileNetV2 training and ResNet-50
/// inference, 1x1-heavy, measured slower blocked). NHWC stays where it was measured fast (AVX-512: brgconv).
static int wants_blocked(const dlshim_conv *c) {
    const dlshim_conv_desc *d = &c->d;
    if (d->bf16 || c->int8 || subsamples_bwd_w(d)) return 0;
    if (d->act_layout == DLSHIM_LAYOUT_BLOCKED) return 1;
    if (d->act_layout != DLSHIM_LAYOUT_AUTO) return 0;
    if ((d->ic / d->groups) % 8 || (d->oc / d->groups) % 8 || d->kh * d->kw == 1) return 0;
    return (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core) != dnnl_cpu_isa_avx512_core;
}

/// The forward primitive descriptor, with src and dst in oneDNN's choice of layout when `blocked`.
static int forward_pd(dlshim_conv *c, int blocked, dnnl_primitive_desc_t *pd) {
    const dlshim_conv_desc *d = &c->d;
    dnnl_dims_t strides, dil, pl, pr;
    dims_of(d, strides, dil, pl, pr);
    dnnl_memory_desc_t wei_any, src_any, dst_any;
    TRY(weights_any(c, c->int8 ? dnnl_s8 : d->bf16 ? dnnl_bf16 : dnnl_f32, &wei_any));
    const dnnl_memory_desc_t *src_md = (d->bf16 || c->int8) ? &c->src_lp_md : &c->src_md, *dst_md = &c->dst_md;
    if (blocked) {
        TRY(dnnl_memory_desc_init_by_tag(&src_any, 4, c->src_md.dims, dnnl_f32, dnnl_format_tag_any));
        TRY(dnnl_memory_desc_init_by_tag(&dst_any, 4, c->dst_md.dims, dnnl_f32, dnnl_format_tag_any));
        src_md = &src_any;
        dst_md = &dst_any;
    }
    dnnl_convolution_desc_t cd;
    TRY(dnnl_dilated_convolution_forward_desc_init(
        &cd, d->training ? dnnl_forward_training : dnnl_forward_inference, dnnl_convolution_direct,
        src_md, &wei_any, d->has_bias ? &c->bias_md : NULL, dst_md, strides, dil, pl, pr));
    dnnl_primitive_attr_t attr;
    TRY(make_scaled_attr(&attr, d->fuse_relu, c->int8 ? d->oc : 0, 1 << 1, c->out_scales));
    if (c->src_zp) TRY(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_SRC, 1, 0, &c->src_zp));
    dnnl_status_t s = dnnl_primitive_desc_create(pd, &cd, attr, g_engine, NULL);
    dnnl_primitive_attr_destroy(attr);
    return (int)s;
}

static int is_reference(const_dnnl_primitive_desc_t pd) {
    const char *name = NULL;
    return dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) == dnnl_success && name &&
           strncmp(name, "ref", 3) == 0;
}

static int backward_data_pd(dlshim_conv *c, dnnl_primitive_desc_t *pd);
static int backward_weights_pd(dlshim_conv *c, const dnnl_memory_desc_t *src_md, const dnnl_dims_t strides,
                               const_dnnl_primitive_desc_t hint, dnnl_primitive_desc_t *pd);

/// Whether every pass this convolution may run has a non-reference implementation in the blocked layouts of
/// `c->fwd_pd` (set as c->src_blk_md / c->dst_blk_md with c->blocked = 1 while asking).
static int blocked_passes_fast(dlshim_conv *c) {
    if (is_reference(c->fwd_pd)) return 0;
    if (!c->d.training) return 1;
    dnnl_primitive_desc_t pd = NULL;
    int fast = backward_data_pd(c, &pd) == 0 && !is_reference(pd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    pd = NULL;
    dnnl_dims_t strides = {c->d.stride_h, c->d.stride_w};
    fast = fast && backward_weights_pd(c, &c->src_blk_md, strides, c->fwd_pd, &pd) == 0 && !is_reference(pd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    return fast;
}

/// Settles the activation layout: blocked when wanted, chosen by oneDNN other than NHWC, and served by
/// non-reference kernels in every pass; then `c->fwd_pd` is the forward in that layout and the moves
/// between NHWC and it are made.
static int choose_layout(dlshim_conv *c) {
    if (wants_blocked(c)) {
        TRY(forward_pd(c, 1, &c->fwd_pd));
        c->src_blk_md = *dnnl_primitive_desc_query_md(c->fwd_pd, dnnl_query_src_md, 0);
        c->dst_blk_md = *dnnl_primitive_desc_query_md(c->fwd_pd, dnnl_query_dst_md, 0);
        int plain = dnnl_memory_desc_equal(&c->src_blk_md, &c->src_md) && dnnl_memory_desc_equal(&c->dst_blk_md, &c->dst_md);
        c->blocked = 1;
        if (!plain && blocked_passes_fast(c)) return init_blocked_moves(c);
        c->blocked = 0;
        dnnl_primitive_desc_destroy(c->fwd_pd);
        c->fwd_pd = NULL;
    }
    return forward_pd(c, 0, &c->fwd_pd);
}

static int create_forward(dlshim_conv *c) {
    const dlshim_conv_desc *d = &c->d;
    TRY(choose_layout(c));
    TRY(dnnl_primitive_create(&c->fwd, c->fwd_pd));
    TRY(make_scratch(c->fwd_pd, &c->fwd_scratch));
    const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(c->fwd_pd, dnnl_query_weights_md, 0);
    if (c->int8)   // per output channel: dim 0 of oihw, dims 0 and 1 (g, oc/g) of goihw
        return init_weight_slot(&c->fwd_w, &c->wei_md, want, 0, d->oc, d->groups == 1 ? 1 : 3, c->w_scales);
    return init_weight_slot(&c->fwd_w, &c->wei_md, want, 0, 0, 0, NULL);
}

static int conv_create(const dlshim_conv_desc *desc, const dlshim_int8 *q, dlshim_conv **out);

int dlshim_conv_create(const dlshim_conv_desc *desc, dlshim_conv **out) { return conv_create(desc, NULL, out); }

int dlshim_conv_create_int8(const dlshim_conv_desc *desc, const dlshim_int8 *q, dlshim_conv **out) {
    *out = NULL;
    if (!q || desc->training || desc->bf16 || !(q->src_scale > 0) || !q->w_scales) return (int)dnnl_invalid_arguments;
    if (q->src_zero_point < 0 || q->src_zero_point > 255 || (q->src_signed && q->src_zero_point)) return (int)dnnl_invalid_arguments;
    for (int64_t i = 0; i < desc->oc; i++)
        if (!(q->w_scales[i] > 0)) return (int)dnnl_invalid_arguments;
    return conv_create(desc, q, out);
}

static int conv_create(const dlshim_conv_desc *desc, const dlshim_int8 *q, dlshim_conv **out) {
    *out = NULL;
    pthread_once(&g_engine_once, make_engine);
    TRY(g_engine_status);
    if (desc->groups < 1 || desc->ic % desc->groups || desc->oc % desc->groups) return (int)dnnl_invalid_arguments;
    dlshim_conv *c = calloc(1, sizeof *c);
    if (!c) return (int)dnnl_out_of_memory;
    c->d = *desc;
    const dlshim_conv_desc *d = &c->d;
    int rc = 0;
    if (q) {
        c->int8 = 1;
        c->src_scale = q->src_scale;
        c->src_signed = q->src_signed != 0;
        c->src_zp = q->src_signed ? 0 : q->src_zero_point;
        c->w_scales = malloc((size_t)d->oc * sizeof(float));
        c->out_scales = malloc((size_t)d->oc * sizeof(float));
        c->bias_q = malloc((size_t)d->oc * sizeof(float));
        if (!c->w_scales || !c->out_scales || !c->bias_q) { dlshim_conv_destroy(c); return (int)dnnl_out_of_memory; }
        for (int64_t i = 0; i < d->oc; i++) {
            c->w_scales[i] = q->w_scales[i];
            c->out_scales[i] = 1.f / (q->src_scale * q->w_scales[i]);
        }
    }
#define CK(call) do { rc = (int)(call); if (rc) goto fail; } while (0)
    CK(dnnl_stream_create(&c->stream, g_engine, dnnl_stream_default_flags));
    dnnl_dims_t sd = {d->n, d->ic, d->ih, d->iw}, dd = {d->n, d->oc, d->oh, d->ow}, bd = {d->oc};
    CK(dnnl_memory_desc_init_by_tag(&c->src_md, 4, sd, dnnl_f32, dnnl_nhwc));
    CK(dnnl_memory_desc_init_by_tag(&c->dst_md, 4, dd, dnnl_f32, dnnl_nhwc));
    CK(dnnl_memory_desc_init_by_tag(&c->bias_md, 1, bd, dnnl_f32, dnnl_x));
    if (d->groups == 1) {
        dnnl_dims_t wd = {d->oc, d->ic, d->kh, d->kw};
        CK(dnnl_memory_desc_init_by_tag(&c->wei_md, 4, wd, dnnl_f32, dnnl_oihw));
    } else {
        dnnl_dims_t wd = {d->groups, d->oc / d->groups, d->ic / d->groups, d->kh, d->kw};
        CK(dnnl_memory_desc_init_by_tag(&c->wei_md, 5, wd, dnnl_f32, dnnl_goihw));
    }
    CK(dnnl_memory_create(&c->src, &c->src_md, g_engine, DNNL_MEMORY_NONE));
    CK(dnnl_memory_create(&c->dst, &c->dst_md, g_engine, DNNL_MEMORY_NONE));
    CK(dnnl_memory_create(&c->wei, &c->wei_md, g_engine, DNNL_MEMORY_NONE));
    CK(dnnl_memory_create(&c->bias, &c->bias_md, g_engine, DNNL_MEMORY_NONE));
    if (c->int8) {
        CK(dnnl_memory_desc_init_by_tag(&c->src_lp_md, 4, sd, c->src_signed ? dnnl_s8 : dnnl_u8, dnnl_nhwc));
        CK(init_cast(&c->src_cast, &c->src_md, &c->src_lp_md, TL_ACT_A, &c->src_scale, &c->src_zp));
    }
    if (d->bf16) {
        CK(dnnl_memory_desc_init_by_tag(&c->src_lp_md, 4, sd, dnnl_bf16, dnnl_nhwc));
        CK(dnnl_memory_desc_init_by_tag(&c->dst_lp_md, 4, dd, dnnl_bf16, dnnl_nhwc));
        CK(init_cast(&c->src_cast, &c->src_md, &c->src_lp_md, TL_ACT_A, NULL, NULL));
        if (d->training) CK(init_cast(&c->diff_dst_cast, &c->dst_md, &c->dst_lp_md, TL_ACT_B, NULL, NULL));
    }
    CK(create_forward(c));
#undef CK
    *out = c;
    return 0;
fail:
    dlshim_conv_destroy(c);
    return rc;
}

/// The backward-data primitive descriptor in the convolution's activation layout.
static int backward_data_pd(dlshim_conv *c, dnnl_primitive_desc_t *pd) {
    const dlshim_conv_desc *d = &c->d;
    dnnl_dims_t strides, dil, pl, pr;
    dims_of(d, strides, dil, pl, pr);
    dnnl_memory_desc_t wei_any;
    TRY(weights_any(c, d->bf16 ? dnnl_bf16 : dnnl_f32, &wei_any));
    const dnnl_memory_desc_t *diff_dst_md = c->blocked ? &c->dst_blk_md : d->bf16 ? &c->dst_lp_md : &c->dst_md;
    dnnl_convolution_desc_t cd;
    TRY(dnnl_dilated_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, c->blocked ? &c->src_blk_md : &c->src_md,
                                                         &wei_any, diff_dst_md, strides, dil, pl, pr));
    dnnl_primitive_attr_t attr;
    TRY(make_attr(&attr, 0));
    dnnl_status_t s = dnnl_primitive_desc_create(pd, &cd, attr, g_engine, c->fwd_pd);
    dnnl_primitive_attr_destroy(attr);
    return (int)s;
}

static int create_backward_data(dlshim_conv *c) {
    TRY(backward_data_pd(c, &c->bwd_data_pd));
    TRY(dnnl_primitive_create(&c->bwd_data, c->bwd_data_pd));
    TRY(make_scratch(c->bwd_data_pd, &c->bwd_data_scratch));
    const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(c->bwd_data_pd, dnnl_query_weights_md, 0);
    return init_weight_slot(&c->bwd_data_w, &c->wei_md, want, 0, 0, 0, NULL);
}

/// The backward-weights primitive descriptor reading `src_md` with `strides` (the subsampled copy has
/// stride 1), diff_dst in the convolution's activation layout.
static int backward_weights_pd(dlshim_conv *c, const dnnl_memory_desc_t *src_md, const dnnl_dims_t strides,
                               const_dnnl_primitive_desc_t hint, dnnl_primitive_desc_t *pd) {
    const dlshim_conv_desc *d = &c->d;
    dnnl_dims_t st = {strides[0], strides[1]}, dil, pl, pr, ignored;
    dims_of(d, ignored, dil, pl, pr);
    dnnl_memory_desc_t wei_any;
    TRY(weights_any(c, dnnl_f32, &wei_any));   // diff_weights stay float32 in bf16 mode too
    const dnnl_memory_desc_t *diff_dst_md = c->blocked ? &c->dst_blk_md : d->bf16 ? &c->dst_lp_md : &c->dst_md;
    dnnl_convolution_desc_t cd;
    TRY(dnnl_dilated_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, src_md, &wei_any,
                                                            d->has_bias ? &c->bias_md : NULL, diff_dst_md,
                                                            st, dil, pl, pr));
    dnnl_primitive_attr_t attr;
    TRY(make_attr(&attr, 0));
    dnnl_status_t s = dnnl_primitive_desc_create(pd, &cd, attr, g_engine, hint);
    dnnl_primitive_attr_destroy(attr);
    return (int)s;
}

static int create_backward_weights(dlshim_conv *c) {
    const dlshim_conv_desc *d = &c->d;
    dnnl_dims_t strides, dil, pl, pr;
    dims_of(d, strides, dil, pl, pr);
    const dnnl_memory_desc_t *src_md = c->blocked ? &c->src_blk_md : d->bf16 ? &c->src_lp_md : &c->src_md;
    const_dnnl_primitive_desc_t hint = c->fwd_pd;
    dnnl_memory_desc_t sub_md, sub_lp_md;
    c->subsample_bwd_w = subsamples_bwd_w(d);
    if (c->subsample_bwd_w) {
        dnnl_dims_t sd = {d->n, d->ic, d->oh, d->ow};
        TRY(dnnl_memory_desc_init_by_tag(&sub_md, 4, sd, dnnl_f32, dnnl_nhwc));
        TRY(dnnl_memory_create(&c->bwd_w_src, &sub_md, g_engine, DNNL_MEMORY_ALLOCATE));
        src_md = &sub_md;
        if (d->bf16) {
            TRY(dnnl_memory_desc_init_by_tag(&sub_lp_md, 4, sd, dnnl_bf16, dnnl_nhwc));
            TRY(init_cast(&c->sub_cast, &sub_md, &sub_lp_md, TL_ACT_A, NULL, NULL));
            src_md = &sub_lp_md;
        }
        strides[0] = strides[1] = 1;
        dnnl_memory_desc_t hint_wei;
        TRY(weights_any(c, d->bf16 ? dnnl_bf16 : dnnl_f32, &hint_wei));
        dnnl_convolution_desc_t hd;
        TRY(dnnl_dilated_convolution_forward_desc_init(&hd, dnnl_forward_training, dnnl_convolution_direct, src_md,
                                                       &hint_wei, d->has_bias ? &c->bias_md : NULL, &c->dst_md,
                                                       strides, dil, pl, pr));
        TRY(dnnl_primitive_desc_create(&c->bwd_w_hint_pd, &hd, NULL, g_engine, NULL));
        hint = c->bwd_w_hint_pd;
    }
    TRY(backward_weights_pd(c, src_md, strides, hint, &c->bwd_w_pd));
    TRY(dnnl_primitive_create(&c->bwd_w, c->bwd_w_pd));
    TRY(make_scratch(c->bwd_w_pd, &c->bwd_w_scratch));
    const dnnl_memory_desc_t *got = dnnl_primitive_desc_query_md(c->bwd_w_pd, dnnl_query_diff_weights_md, 0);
    return init_weight_slot(&c->bwd_w_w, &c->wei_md, got, 1, 0, 0, NULL);
}

void dlshim_conv_destroy(dlshim_conv *c) {
    if (!c) return;
    free_weight_slot(&c->fwd_w);
    free_weight_slot(&c->bwd_data_w);
    free_weight_slot(&c->bwd_w_w);
    free_cast(&c->src_cast);
    free_cast(&c->diff_dst_cast);
    free_cast(&c->sub_cast);
    free_cast(&c->dst_out);
    free_cast(&c->diff_src_out);
    free(c->w_scales);
    free(c->out_scales);
    free(c->bias_q);
    if (c->bwd_w_src) dnnl_memory_destroy(c->bwd_w_src);
    if (c->bwd_w_hint_pd) dnnl_primitive_desc_destroy(c->bwd_w_hint_pd);
    if (c->fwd_scratch) dnnl_memory_destroy(c->fwd_scratch);
    if (c->bwd_data_scratch) dnnl_memory_destroy(c->bwd_data_scratch);
    if (c->bwd_w_scratch) dnnl_memory_destroy(c->bwd_w_scratch);
    if (c->fwd) dnnl_primitive_destroy(c->fwd);
    if (c->bwd_data) dnnl_primitive_destroy(c->bwd_data);
    if (c->bwd_w) dnnl_primitive_destroy(c->bwd_w);
    if (c->fwd_pd) dnnl_primitive_desc_destroy(c->fwd_pd);
    if (c->bwd_data_pd) dnnl_primitive_desc_destroy(c->bwd_data_pd);
    if (c->bwd_w_pd) dnnl_primitive_desc_destroy(c->bwd_w_pd);
    if (c->src) dnnl_memory_destroy(c->src);
    if (c->dst) dnnl_memory_destroy(c->dst);
    if (c->wei) dnnl_memory_destroy(c->wei);
    if (c->bias) dnnl_memory_destroy(c->bias);
    if (c->stream) dnnl_stream_destroy(c->stream);
    free(c);
}

/// Points the user weight memory at `weights` and returns the memory the primitive reads. The
/// reorder into oneDNN's layout is skipped when `version` is non-zero and equals the version the
/// cached copy was filled from (then `weights` is not read at all).
/// Points `slot->internal` at the calling thread's transient buffer (NULL-safe error when out of memory).
static int use_transient(weight_slot *slot) {
    void *t = transient_buffer(TL_WEIGHTS, slot->size);
    if (!t) return (int)dnnl_out_of_memory;
    return (int)dnnl_memory_set_data_handle(slot->internal, t);
}

static int weights_in(dlshim_conv *c, weight_slot *slot, const float *weights, uint64_t version, dnnl_memory_t *use) {
    TRY(dnnl_memory_set_data_handle(c->wei, (void *)weights));
    if (!slot->reorder) { *use = c->wei; return 0; }
    *use = slot->internal;
    if (version == 0) {
        TRY(use_transient(slot));
        return reorder(c, slot, c->wei, slot->internal);
    }
    if (!slot->cached) {
        if (posix_memalign(&slot->cached, 64, slot->size)) { slot->cached = NULL; return (int)dnnl_out_of_memory; }
        slot->filled_version = 0;
    }
    TRY(dnnl_memory_set_data_handle(slot->internal, slot->cached));
    if (slot->filled_version == version) return 0;
    slot->filled_version = 0;
    TRY(reorder(c, slot, c->wei, slot->internal));
    slot->filled_from = weights;
    slot->filled_version = version;
    return 0;
}

int dlshim_conv_forward(dlshim_conv *c, const float *src, const float *weights, const float *bias, float *dst,
                        uint64_t weights_version) {
    dnnl_memory_t w;
    TRY(weights_in(c, &c->fwd_w, weights, weights_version, &w));
    dnnl_memory_t src_mem = c->src, dst_mem;
    if (c->src_cast.reorder)   // bf16, int8 or blocked
        TRY(cast_in(c, &c->src_cast, src, &src_mem));
    else
        TRY(dnnl_memory_set_data_handle(c->src, (void *)src));
    TRY(output_begin(&c->dst_out, c->dst, dst, &dst_mem));
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst_mem}};
    int n = 3;
    if (c->d.has_bias && c->int8) {
        // oneDNN 2.x int8: dst = out_scale · (acc + bias), so the bias goes in at the accumulator's scale.
        for (int64_t i = 0; i < c->d.oc; i++) c->bias_q[i] = bias[i] * c->src_scale * c->w_scales[i];
        TRY(dnnl_memory_set_data_handle(c->bias, c->bias_q));
        args[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, c->bias};
    } else if (c->d.has_bias) {
        TRY(dnnl_memory_set_data_handle(c->bias, (void *)bias));
        args[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, c->bias};
    }
    TRY(execute(c, c->fwd, n, args, c->fwd_scratch));
    return output_end(c, &c->dst_out, dst);
}

/// The memory holding diff_dst as the backward primitives read it: the caller's buffer (f32), or its bf16
/// rounding or blocked copy in the thread's TL_ACT_B buffer.
static int diff_dst_in(dlshim_conv *c, const float *diff_dst, dnnl_memory_t *out) {
    if (c->diff_dst_cast.reorder) return cast_in(c, &c->diff_dst_cast, diff_dst, out);
    *out = c->dst;
    return (int)dnnl_memory_set_data_handle(c->dst, (void *)diff_dst);
}

static int backward_data(dlshim_conv *c, dnnl_memory_t dd_mem, const float *weights, float *diff_src) {
    if (!c->bwd_data) TRY(create_backward_data(c));
    dnnl_memory_t w;
    TRY(weights_in(c, &c->bwd_data_w, weights, 0, &w));
    dnnl_memory_t ds_mem;
    TRY(output_begin(&c->diff_src_out, c->src, diff_src, &ds_mem));
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_DIFF_DST, dd_mem}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, ds_mem}};
    TRY(execute(c, c->bwd_data, 3, args, c->bwd_data_scratch));
    return output_end(c, &c->diff_src_out, diff_src);
}

static int backward_weights(dlshim_conv *c, const float *src, dnnl_memory_t dd_mem, float *diff_weights, float *diff_bias) {
    if (!c->bwd_w) TRY(create_backward_weights(c));
    dnnl_memory_t src_mem = c->src;
    if (c->subsample_bwd_w) {
        const dlshim_conv_desc *d = &c->d;
        float *sub = NULL;
        TRY(dnnl_memory_get_data_handle(c->bwd_w_src, (void **)&sub));
        for (int64_t n = 0; n < d->n; n++)
            for (int64_t oh = 0; oh < d->oh; oh++)
                for (int64_t ow = 0; ow < d->ow; ow++)
                    memcpy(sub + ((n * d->oh + oh) * d->ow + ow) * d->ic,
                           src + ((n * d->ih + oh * d->stride_h) * d->iw + ow * d->stride_w) * d->ic,
                           (size_t)d->ic * sizeof(float));
        src_mem = c->bwd_w_src;
        if (d->bf16) TRY(cast_in(c, &c->sub_cast, sub, &src_mem));
    } else if (c->src_cast.reorder) {   // bf16 or blocked
        TRY(cast_in(c, &c->src_cast, src, &src_mem));
    } else {
        TRY(dnnl_memory_set_data_handle(c->src, (void *)src));
    }
    TRY(dnnl_memory_set_data_handle(c->wei, diff_weights));
    dnnl_memory_t w = c->wei;
    if (c->bwd_w_w.reorder) {
        TRY(use_transient(&c->bwd_w_w));
        w = c->bwd_w_w.internal;
    }
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_DIFF_DST, dd_mem}, {DNNL_ARG_DIFF_WEIGHTS, w}};
    int n = 3;
    if (c->d.has_bias) {
        TRY(dnnl_memory_set_data_handle(c->bias, diff_bias));
        args[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_BIAS, c->bias};
    }
    TRY(execute(c, c->bwd_w, n, args, c->bwd_w_scratch));
    if (c->bwd_w_w.reorder) TRY(reorder(c, &c->bwd_w_w, c->bwd_w_w.internal, c->wei));
    return 0;
}

int dlshim_conv_backward_data(dlshim_conv *c, const float *diff_dst, const float *weights, float *diff_src) {
    if (!c->d.training) return (int)dnnl_invalid_arguments;
    dnnl_memory_t dd;
    TRY(diff_dst_in(c, diff_dst, &dd));
    return backward_data(c, dd, weights, diff_src);
}

int dlshim_conv_backward_weights(dlshim_conv *c, const float *src, const float *diff_dst, float *diff_weights,
                                 float *diff_bias) {
    if (!c->d.training) return (int)dnnl_invalid_arguments;
    dnnl_memory_t dd;
    TRY(diff_dst_in(c, diff_dst, &dd));
    return backward_weights(c, src, dd, diff_weights, diff_bias);
}

int dlshim_conv_backward(dlshim_conv *c, const float *src, const float *diff_dst, const float *weights, float *diff_src,
                         float *diff_weights, float *diff_bias) {
    if (!c->d.training) return (int)dnnl_invalid_arguments;
    dnnl_memory_t dd;
    TRY(diff_dst_in(c, diff_dst, &dd));   // once for both passes (bf16: one rounding of diff_dst instead of two)
    if (diff_weights) TRY(backward_weights(c, src, dd, diff_weights, diff_bias));
    if (diff_src) TRY(backward_data(c, dd, weights, diff_src));
    return 0;
}

const char *dlshim_conv_impl_name(dlshim_conv *c) {
    const char *name = NULL;
    if (dnnl_primitive_desc_query(c->fwd_pd, dnnl_query_impl_info_str, 0, &name) != dnnl_success) return "?";
    return name;
}

int dlshim_conv_reorders_weights(dlshim_conv *c) { return c->fwd_w.reorder != NULL; }

int dlshim_conv_blocked(dlshim_conv *c) { return c->blocked; }
