/* runtime/progbar.c — see progbar.h. */
#include "progbar.h"
#include "util.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

void progbar_start(Progbar *p, FILE *out, int64_t target, int verbose)
{
    memset(p, 0, sizeof p[0]);
    p->out = out;
    p->target = target;
    p->verbose = verbose;
    p->tty = isatty(fileno(out));
    p->start = nnm_now();
}

static int values_str(char *s, size_t size, int n, const char *const *names, const double *v)
{
    int o = 0;
    for (int i = 0; i < n && (size_t)o < size; i++)
        o += snprintf(s + o, size - (size_t)o, fabs(v[i]) > 1e-3 ? " - %s: %.4f" : " - %s: %.4e",
                      names[i], v[i]);
    return o;
}

void progbar_update(Progbar *p, int64_t current, int n, const char *const *names,
                    const double *values, int final)
{
    if (p->verbose <= 0)
        return;
    double now = nnm_now();
    char line[1024];
    int o = 0;
    if (p->verbose == 2) {
        if (!final)
            return;
        o += snprintf(line, sizeof line, " - %.0fs", now - p->start);
        values_str(line + o, sizeof line - (size_t)o, n, names, values);
        fprintf(p->out, "%s\n", line);
        fflush(p->out);
        return;
    }
    if (!final && (!p->tty || now - p->last < 0.05))
        return;
    p->last = now;
    int digits = (int)floor(log10((double)(p->target > 0 ? p->target : 1))) + 1;
    o += snprintf(line + o, sizeof line - (size_t)o, "%*lld/%lld [", digits, (long long)current,
                  (long long)p->target);
    int bar = 30, done = p->target > 0 ? (int)(bar * (double)current / (double)p->target) : bar;
    for (int i = 0; i < bar; i++)
        line[o++] = i < done - 1 ? '=' : i == done - 1 ? (current < p->target ? '>' : '=') : '.';
    line[o++] = ']';
    double per = current ? (now - p->start) / (double)current : 0;
    if (current < p->target) {
        double eta = per * (double)(p->target - current);
        if (eta > 3600)
            o += snprintf(line + o, sizeof line - (size_t)o, " - ETA: %d:%02d:%02d", (int)eta / 3600,
                          (int)eta % 3600 / 60, (int)eta % 60);
        else if (eta > 60)
            o += snprintf(line + o, sizeof line - (size_t)o, " - ETA: %d:%02d", (int)eta / 60, (int)eta % 60);
        else
            o += snprintf(line + o, sizeof line - (size_t)o, " - ETA: %ds", (int)eta);
    } else {
        o += snprintf(line + o, sizeof line - (size_t)o, " - %.0fs", now - p->start);
        if (per >= 1)
            o += snprintf(line + o, sizeof line - (size_t)o, " %.0fs/step", per);
        else if (per >= 1e-3)
            o += snprintf(line + o, sizeof line - (size_t)o, " %.0fms/step", per * 1e3);
        else
            o += snprintf(line + o, sizeof line - (size_t)o, " %.0fus/step", per * 1e6);
    }
    o += values_str(line + o, sizeof line - (size_t)o, n, names, values);
    if (p->tty) {
        fputc('\r', p->out);
        fputs(line, p->out);
        for (int i = o; i < p->width; i++)
            fputc(' ', p->out);
        p->width = o;
        if (final)
            fputc('\n', p->out);
    } else if (final) {
        fprintf(p->out, "%s\n", line);
    }
    fflush(p->out);
}
