/* runtime/parallel.h — nnmc's own small thread pool.
 *
 * nnmc splits all its work itself, so that GEMMs and the elementwise
 * passes between them (activations, optimizer updates) share the same
 * threads and never oversubscribe the cores: threads = --threads, and no
 * library adds any.  Work is split into
 * contiguous ranges whose bounds do not depend on timing (nnm_par_for), or
 * into fixed blocks handed to whichever thread is free (nnm_par_each); no
 * range's or block's result depends on another's or on the thread that
 * computes it, so figures are the same for any number of threads. */
#ifndef NNM_PARALLEL_H
#define NNM_PARALLEL_H
#include <stdint.h>

typedef void (*NnmRangeFn)(void *arg, int64_t begin, int64_t end);

/* Starts n-1 helper threads (n >= 1); idempotent per n. */
void nnm_par_init(int n);
void nnm_par_shutdown(void);
/* Calls fn over [0, n) split into one range per thread; ranges are
 * multiples of `align` (except the last), and the work is done inline when
 * n < min_split or when called from inside a range (nested loops are
 * serial: the outer loop already uses every thread). */
/* Inside a range: the index of the thread running it, below
 * nnm_par_threads(), and no other thread has that index meanwhile (per-
 * thread workspaces are indexed by it); 0 outside any range. */
#if NNM_PREDICT_ONLY
/* emitted predict-only code has no threads: what the pool does with one */
#define nnm_par_self() 0
#define nnm_par_threads() 1
static inline void nnm_par_for(int64_t n, int64_t align, int64_t min_split, NnmRangeFn fn, void *arg)
{
    (void)align;
    (void)min_split;
    if (n > 0)
        fn(arg, 0, n);
}
#define nnm_par_each(n, block, fn, arg) nnm_par_for(n, block, 0, fn, arg)
#else
int nnm_par_threads(void);
int nnm_par_self(void);
void nnm_par_for(int64_t n, int64_t align, int64_t min_split, NnmRangeFn fn, void *arg);
/* Calls fn over [0, n) in blocks of `block` (the last may be shorter),
 * handed to whichever thread is free: for work whose items take uneven
 * time, or threads that get uneven shares of the CPU.  Which thread runs
 * a block varies from run to run, so fn's result for a block must not
 * depend on it (nor on the other blocks); inline when nested, or when n <=
 * block. */
void nnm_par_each(int64_t n, int64_t block, NnmRangeFn fn, void *arg);
#endif
#endif
