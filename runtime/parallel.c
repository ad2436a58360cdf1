/* runtime/parallel.c — see parallel.h.
 *
 * One job at a time: the caller publishes (fn, arg, n), bumps `gen`, runs
 * its own share (range 0, or claimed blocks) and waits for the helpers'
 * `done` count.  Helpers spin for
 * a short while on `gen` (batches come back to back, so waking is usually
 * immediate) and then sleep on a condition variable. */
#include "parallel.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>

#define MAX_THREADS 64

static struct {
    int n;
    pthread_t tid[MAX_THREADS];
    NnmRangeFn fn;
    void *arg;
    int64_t total, align;
    int dynamic;          /* nnm_par_each: blocks handed out one at a time */
    atomic_llong next;    /* the next block to hand out */
    atomic_uint gen;
    unsigned born; /* gen when the helpers were started: jobs before it are not theirs */
    atomic_int done;
    atomic_int stop;
    atomic_int sleepers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} P = {.n = 1, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* set while a thread runs a range: a parallel loop inside a range (a GEMM
 * inside a per-image loop) then runs inline instead of re-entering the pool */
static _Thread_local int in_range;
static _Thread_local int self_id; /* helpers: their index; the caller's thread: 0 */

static void range_of(int part, int parts, int64_t total, int64_t align, int64_t *b, int64_t *e)
{
    int64_t chunks = (total + align - 1) / align;
    int64_t cb = chunks * part / parts, ce = chunks * (part + 1) / parts;
    *b = NNM_MIN(cb * align, total);
    *e = NNM_MIN(ce * align, total);
}

/* The calling thread's share of the current job: its fixed range, or
 * blocks claimed until none are left. */
static void run_share(int id)
{
    in_range = 1;
    if (P.dynamic) {
        for (;;) {
            int64_t b = (int64_t)atomic_fetch_add(&P.next, 1) * P.align;
            if (b >= P.total)
                break;
            P.fn(P.arg, b, NNM_MIN(b + P.align, P.total));
        }
    } else {
        int64_t b, e;
        range_of(id, P.n, P.total, P.align, &b, &e);
        if (b < e)
            P.fn(P.arg, b, e);
    }
    in_range = 0;
}

static void *helper(void *p)
{
    int id = (int)(intptr_t)p;
    self_id = id;
    unsigned seen = P.born; /* set before pthread_create, which orders it */
    for (;;) {
        unsigned g;
        int spins = 0;
        while ((g = atomic_load_explicit(&P.gen, memory_order_acquire)) == seen &&
               !atomic_load(&P.stop)) {
            if (++spins < 20000)
                continue;
            pthread_mutex_lock(&P.mu);
            atomic_fetch_add(&P.sleepers, 1);
            while (atomic_load(&P.gen) == seen && !atomic_load(&P.stop))
                pthread_cond_wait(&P.cv, &P.mu);
            atomic_fetch_sub(&P.sleepers, 1);
            pthread_mutex_unlock(&P.mu);
            spins = 0;
        }
        if (atomic_load(&P.stop))
            return NULL;
        seen = g;
        run_share(id);
        atomic_fetch_add_explicit(&P.done, 1, memory_order_release);
    }
}

void nnm_par_init(int n)
{
    if (n < 1)
        n = 1;
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    if (n == P.n)
        return;
    nnm_par_shutdown();
    atomic_store(&P.stop, 0);
    P.n = n;
    P.born = atomic_load(&P.gen);
    for (int i = 1; i < n; i++)
        if (pthread_create(&P.tid[i], NULL, helper, (void *)(intptr_t)i) != 0) {
            P.n = i; /* fewer threads: still correct */
            break;
        }
}

void nnm_par_shutdown(void)
{
    if (P.n <= 1)
        return;
    pthread_mutex_lock(&P.mu);
    atomic_store(&P.stop, 1);
    pthread_cond_broadcast(&P.cv);
    pthread_mutex_unlock(&P.mu);
    for (int i = 1; i < P.n; i++)
        pthread_join(P.tid[i], NULL);
    P.n = 1;
}

int nnm_par_threads(void) { return P.n; }

int nnm_par_self(void) { return self_id; }

static void run_job(int64_t n, int64_t align, int dynamic, NnmRangeFn fn, void *arg)
{
    P.fn = fn;
    P.arg = arg;
    P.total = n;
    P.align = align > 0 ? align : 1;
    P.dynamic = dynamic;
    atomic_store_explicit(&P.next, 0, memory_order_relaxed);
    atomic_store_explicit(&P.done, 0, memory_order_relaxed);
    atomic_fetch_add(&P.gen, 1); /* seq_cst: pairs with the sleepers check */
    if (atomic_load(&P.sleepers)) {
        pthread_mutex_lock(&P.mu);
        pthread_cond_broadcast(&P.cv);
        pthread_mutex_unlock(&P.mu);
    }
    run_share(0);
    while (atomic_load_explicit(&P.done, memory_order_acquire) < P.n - 1)
        sched_yield();
}

void nnm_par_for(int64_t n, int64_t align, int64_t min_split, NnmRangeFn fn, void *arg)
{
    if (n <= 0)
        return;
    if (P.n <= 1 || n < min_split || in_range) {
        fn(arg, 0, n);
        return;
    }
    run_job(n, align, 0, fn, arg);
}

void nnm_par_each(int64_t n, int64_t block, NnmRangeFn fn, void *arg)
{
    if (n <= 0)
        return;
    if (P.n <= 1 || n <= block || in_range) {
        fn(arg, 0, n);
        return;
    }
    run_job(n, block, 1, fn, arg);
}
