/* runtime/util.h — small helpers shared by the compiler and the runtime.
 *
 * Contract: user mistakes never reach nnm_panic(); it is only for broken
 * invariants inside nnmc, and reports the C file and line so a bug report
 * can point at the code.  Allocation failure is reported as a user-facing
 * "out of memory" error with exit status 1, since it usually means the
 * model is too large for the machine. */
#ifndef NNM_UTIL_H
#define NNM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#if defined(__GNUC__)
#define NNM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define NNM_NORETURN __attribute__((noreturn))
#else
#define NNM_PRINTF(f, a)
#define NNM_NORETURN
#endif

NNM_NORETURN void nnm_panic(const char *file, int line, const char *fmt, ...) NNM_PRINTF(3, 4);
#if NNM_PREDICT_ONLY
/* emitted predict-only code (nnmc emit --inference) has no stdio: a broken
 * invariant just stops the program */
#include <stdlib.h>
#define NNM_ASSERT(c) ((c) ? (void)0 : abort())
#define NNM_UNREACHABLE() abort()
#else
#define NNM_ASSERT(c) ((c) ? (void)0 : nnm_panic(__FILE__, __LINE__, "assertion failed: %s", #c))
#define NNM_UNREACHABLE() nnm_panic(__FILE__, __LINE__, "unreachable")
#endif

/* Allocation that never returns NULL: prints "nnmc: error: out of memory"
 * and exits with status 1. */
void *nnm_xmalloc(size_t n);
void *nnm_xcalloc(size_t n, size_t size);
void *nnm_xrealloc(void *p, size_t n);
char *nnm_xstrdup(const char *s);

/* 64-byte aligned zeroed float buffer for kernels; free with nnm_free_aligned.
 * nnm_alloc_count counts the calls, so tests can check that no training
 * step allocates. */
float *nnm_alloc_floats(int64_t n);
extern long nnm_alloc_count;
void nnm_free_aligned(void *p);

/* Python's repr() of a float: the shortest string that reads back as the
 * same double ("0.1", "1e-05", "98.4", "3.0").  buf must hold 32 bytes. */
void nnm_pyfloat(char *buf, size_t size, double v);

/* How many bytes this process may allocate: the machine's memory, or less
 * under a limit (ulimit -v, -d, or NNM_MEMORY_MB).  What a model file or a data file asks
 * for is checked against it before it is allocated. */
double nnm_memory_limit(void);

/* Monotonic wall clock in seconds. */
double nnm_now(void);

#define NNM_MIN(a, b) ((a) < (b) ? (a) : (b))
#define NNM_MAX(a, b) ((a) > (b) ? (a) : (b))
#define NNM_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

#endif
