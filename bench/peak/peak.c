// The machine's arithmetic peaks on its AVX-512 units, for reading the network figures of `make bench`
// as fractions of what the cores can do: a tight loop of independent FMA (fp32), VDPBF16PS (bf16 pairs
// into fp32) and VPDPBUSD (u8×s8 quadruples into int32) instructions on every thread (OpenMP).
//   gcc -O3 -fopenmp -mavx512f -mavx512bf16 -mavx512vnni -mavx512bw -mavx512vl bench/peak/peak.c -o peak && ./peak [threads]
// Prints: RESULT case=peak threads=N fp32_gflops=.. bf16_gflops=.. int8_gops=.. (one multiply-add = 2 operations).
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ACC 12               // independent accumulators: covers the 4-cycle latency of 2 ports with room
#define ITERS 20000000L

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// Each function returns a value that depends on every accumulator, so nothing is optimised away.
static float fp32_loop(long n) {
    __m512 acc[ACC], a = _mm512_set1_ps(1.0001f), b = _mm512_set1_ps(0.9999f);
    for (int i = 0; i < ACC; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long k = 0; k < n; k++)
#pragma GCC unroll 12
        for (int i = 0; i < ACC; i++) acc[i] = _mm512_fmadd_ps(a, acc[i], b);
    __m512 s = acc[0];
    for (int i = 1; i < ACC; i++) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}

static float bf16_loop(long n) {
    __m512 acc[ACC];
    __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3c00);   // 1.0, ~0.0078
    for (int i = 0; i < ACC; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long k = 0; k < n; k++)
#pragma GCC unroll 12
        for (int i = 0; i < ACC; i++) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
    __m512 s = acc[0];
    for (int i = 1; i < ACC; i++) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
}

static int int8_loop(long n) {
    __m512i acc[ACC], a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
    for (int i = 0; i < ACC; i++) acc[i] = _mm512_set1_epi32(i);
    for (long k = 0; k < n; k++)
#pragma GCC unroll 12
        for (int i = 0; i < ACC; i++) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
    __m512i s = acc[0];
    for (int i = 1; i < ACC; i++) s = _mm512_add_epi32(s, acc[i]);
    return _mm512_reduce_add_epi32(s);
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    omp_set_num_threads(threads);
    double sink = 0, rate[3];
    // operations per instruction: fp32 FMA 16 lanes × 2; bf16 dot 16 lanes × 2 pairs × 2; int8 dot 16 lanes × 4 × 2
    const double ops[3] = {32, 64, 128};
    for (int kind = 0; kind < 3; kind++) {
        long n = kind == 0 ? ITERS : kind == 1 ? ITERS / 2 : ITERS / 2;
        double best = 1e30;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = now();
#pragma omp parallel reduction(+ : sink)
            {
                if (kind == 0) sink += fp32_loop(n);
                else if (kind == 1) sink += bf16_loop(n);
                else sink += int8_loop(n);
            }
            double t = now() - t0;
            if (t < best) best = t;
        }
        rate[kind] = ops[kind] * ACC * (double)n * threads / best / 1e9;
    }
    printf("machine peak (%d threads, tight loops): fp32 FMA %.0f GFLOP/s, bf16 dot product %.0f GFLOP/s, int8 dot product %.0f GOP/s\n",
           threads, rate[0], rate[1], rate[2]);
    printf("RESULT case=peak threads=%d fp32_gflops=%.1f bf16_gflops=%.1f int8_gops=%.1f sink=%g\n", threads, rate[0], rate[1], rate[2], sink > 0 ? 1.0 : 0.0);
    return 0;
}
