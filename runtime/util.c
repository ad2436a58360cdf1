/* runtime/util.c — see util.h. */
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void nnm_panic(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "nnmc: internal error at %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nplease report this as a bug\n", stderr);
    abort();
}

static NNM_NORETURN void oom(void)
{
    fputs("nnmc: error: out of memory\n", stderr);
    exit(1);
}

void *nnm_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *nnm_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *nnm_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

char *nnm_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(nnm_xmalloc(n), s, n);
}

long nnm_alloc_count;

float *nnm_alloc_floats(int64_t n)
{
    nnm_alloc_count++;
    void *p = NULL;
    if (n < 0 || (uint64_t)n > SIZE_MAX / sizeof(float) - 64)
        oom();
    size_t bytes = ((size_t)(n ? n : 1) * sizeof(float) + 63) & ~(size_t)63;
    if (posix_memalign(&p, 64, bytes) != 0)
        oom();
    memset(p, 0, bytes);
    return p;
}

void nnm_free_aligned(void *p) { free(p); }

void nnm_pyfloat(char *buf, size_t size, double v)
{
    if (isnan(v)) {
        snprintf(buf, size, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, size, v < 0 ? "-inf" : "inf");
        return;
    }
    /* Shortest %.Ne that round-trips, then lay it out as Python does:
     * positional for 1e-4 <= |v| < 1e16, scientific otherwise. */
    char tmp[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    char digits[24];
    int nd = 0, neg = tmp[0] == '-';
    const char *p = tmp + neg;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    digits[nd] = 0;
    int exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = 0;
    char out[64];
    int o = 0;
    if (neg)
        out[o++] = '-';
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 < 0) {
            out[o++] = '0';
            out[o++] = '.';
            for (int i = 0; i < -exp10 - 1; i++)
                out[o++] = '0';
            for (int i = 0; i < nd; i++)
                out[o++] = digits[i];
        } else {
            for (int i = 0; i <= exp10; i++)
                out[o++] = i < nd ? digits[i] : '0';
            out[o++] = '.';
            if (nd > exp10 + 1)
                for (int i = exp10 + 1; i < nd; i++)
                    out[o++] = digits[i];
            else
                out[o++] = '0';
        }
        out[o] = 0;
    } else {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int i = 1; i < nd; i++)
                out[o++] = digits[i];
        }
        o += snprintf(out + o, sizeof out - (size_t)o, "e%c%02d", exp10 < 0 ? '-' : '+',
                      exp10 < 0 ? -exp10 : exp10);
    }
    snprintf(buf, size, "%s", out);
}

double nnm_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double nnm_memory_limit(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    double limit = pages > 0 && psize > 0 ? (double)pages * (double)psize : 64.0 * (1 << 30);
    const char *env = getenv("NNM_MEMORY_MB"); /* a lower limit, for tests and shared machines */
    if (env && atof(env) > 0 && atof(env) * (1 << 20) < limit)
        limit = atof(env) * (1 << 20);
    static const int which[] = {RLIMIT_AS, RLIMIT_DATA};
    for (size_t i = 0; i < NNM_COUNTOF(which); i++) {
        struct rlimit r;
        if (getrlimit(which[i], &r) == 0 && r.rlim_cur != RLIM_INFINITY && (double)r.rlim_cur < limit)
            limit = (double)r.rlim_cur;
    }
    return limit;
}
