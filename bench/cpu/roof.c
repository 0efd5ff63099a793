// Machine roofs for the CPU performance targets, portable across x86 vector
// widths (no intrinsics): build with
//   clang-22 -O3 -march=native -fopenmp bench/cpu/roof.c -o roof
// and run with OMP_NUM_THREADS set to the threads the benchmark uses.
//   read_bw_gbs     - streaming read bandwidth: every thread sums its
//                     contiguous part of a buffer much larger than the LLC
//                     (default 1 GiB), best of --reps runs
//   fma_peak_gflops - f32 FMA throughput, 12 independent chains of the
//                     widest native vector per thread, best of --reps runs
// usage: roof [buffer MiB] [reps]
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
#define VBYTES 64
#elif defined(__AVX__)
#define VBYTES 32
#else
#define VBYTES 16
#endif
#define LANES (VBYTES / 4)
typedef float vf __attribute__((vector_size(VBYTES)));

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

// Sum of x[0, n) with 4 independent vector accumulators (n a multiple of
// 4 * LANES); the loads are aligned whole vectors.
static float sumRange(const vf *x, size_t nv) {
  vf a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
  for (size_t i = 0; i < nv; i += 4) {
    a0 += x[i];
    a1 += x[i + 1];
    a2 += x[i + 2];
    a3 += x[i + 3];
  }
  vf a = (a0 + a1) + (a2 + a3);
  float s = 0;
  for (int l = 0; l < LANES; ++l)
    s += a[l];
  return s;
}

static double readBandwidth(const vf *buf, size_t nv, int reps,
                            float *sink) {
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    float total = 0;
    double t0 = now();
#pragma omp parallel reduction(+ : total)
    {
      int t = omp_get_thread_num(), nt = omp_get_num_threads();
      size_t per = (nv / nt) & ~(size_t)3;
      total += sumRange(buf + t * per, per);
    }
    double t = now() - t0;
    *sink += total;
    double gbs = (double)nv * VBYTES / t / 1e9;
    if (gbs > best)
      best = gbs;
  }
  return best;
}

#define CHAINS 12
static double fmaPeak(int reps, float *sink) {
  const long iters = 20000000;
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    float total = 0;
    double t0 = now();
#pragma omp parallel reduction(+ : total)
    {
      vf acc[CHAINS];
      vf m, c;
      for (int l = 0; l < LANES; ++l) {
        m[l] = 0.999999f;
        c[l] = 1e-7f * (omp_get_thread_num() + 1);
      }
      for (int k = 0; k < CHAINS; ++k)
        acc[k] = c * (float)(k + 1);
      for (long i = 0; i < iters; ++i) {
#pragma clang loop unroll(full)
        for (int k = 0; k < CHAINS; ++k)
          acc[k] = acc[k] * m + c;
        // Keeps the chains opaque so they are not folded.
        __asm__ volatile("" : "+x"(m));
      }
      vf s = {0};
      for (int k = 0; k < CHAINS; ++k)
        s += acc[k];
      for (int l = 0; l < LANES; ++l)
        total += s[l];
    }
    double t = now() - t0;
    *sink += total;
    double gflops =
        2.0 * iters * CHAINS * LANES * omp_get_max_threads() / t / 1e9;
    if (gflops > best)
      best = gflops;
  }
  return best;
}

int main(int argc, char **argv) {
  size_t mib = argc > 1 ? strtoul(argv[1], 0, 10) : 1024;
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  size_t nv = (mib << 20) / VBYTES;
  nv &= ~(size_t)(4 * omp_get_max_threads() - 1);
  vf *buf = aligned_alloc(4096, nv * VBYTES);
  if (!buf)
    return 1;
  // First touch by the threads that read, so pages are local to them.
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < nv; ++i)
    for (int l = 0; l < LANES; ++l)
      buf[i][l] = (float)((i + l) & 7);
  float sink = 0;
  printf("threads %d\nvector_bits %d\n", omp_get_max_threads(), VBYTES * 8);
  printf("read_bw_gbs %.1f\n", readBandwidth(buf, nv, reps, &sink));
  printf("fma_peak_gflops %.1f\n", fmaPeak(reps, &sink));
  fprintf(stderr, "checksum %g\n", sink);
  free(buf);
  return 0;
}
