/* runtime/plot.c — see plot.h.  Plain SVG 1.1 written by hand: axes with
 * "nice" ticks (1, 2 or 5 times a power of ten), one polyline per series
 * with a dot per epoch, a legend; colours are matplotlib's first two
 * (training blue, validation orange), as in the plots of the Keras guides. */
#include "plot.h"
#include "files.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PANEL_W 420
#define PANEL_H 300
#define LEFT 60
#define TOP 40
#define PLOT_W 340
#define PLOT_H 210

static const char *const colours[2] = {"#1f77b4", "#ff7f0e"};

/* a tick step giving about n ticks over span */
static double nice_step(double span, int n)
{
    double raw = span / n, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

static void text(FILE *o, double x, double y, const char *anchor, int size, const char *s)
{
    fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">", x, y, anchor, size);
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", o);
        else if (*s == '>')
            fputs("&gt;", o);
        else if (*s == '&')
            fputs("&amp;", o);
        else if ((unsigned char)*s >= 32)
            fputc(*s, o);
    }
    fputs("</text>\n", o);
}

/* One panel at (x0, 0): series a (training, na epochs) and b (validation,
 * nb epochs, or none) from epoch first + 1 on. */
static void panel(FILE *o, double x0, double y0, const char *title, const char *ylabel, const char *const names[2],
                  const double *a, int na, const double *b, int nb, int first)
{
    double lo = INFINITY, hi = -INFINITY;
    int n = na > nb ? na : nb;
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < (s ? nb : na); i++) {
            const double *v = s ? b : a;
            if (isfinite(v[i])) {
                lo = v[i] < lo ? v[i] : lo;
                hi = v[i] > hi ? v[i] : hi;
            }
        }
    if (!(lo <= hi))
        lo = 0, hi = 1;
    if (hi - lo < 1e-12)
        lo -= 0.5, hi += 0.5;
    double step = nice_step(hi - lo, 5);
    lo = floor(lo / step) * step;
    hi = ceil(hi / step) * step;
    double px = x0 + LEFT, py = y0 + TOP;
    text(o, x0 + LEFT + PLOT_W / 2.0, y0 + 24, "middle", 15, title);
    fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n", px, py,
            PLOT_W, PLOT_H);
    char buf[48];
    for (double t = lo; t <= hi + step / 2; t += step) {
        double y = py + PLOT_H - (t - lo) / (hi - lo) * PLOT_H;
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", px, y, px + PLOT_W, y);
        snprintf(buf, sizeof buf, "%.*f", step < 1 ? (int)ceil(-log10(step) - 1e-9) : 0, fabs(t) < step / 1e6 ? 0.0 : t);
        text(o, px - 6, y + 4, "end", 11, buf);
    }
    int every = n <= 10 ? 1 : (int)nice_step(n, 8);
    every = every < 1 ? 1 : every;
    double dx = n > 1 ? (double)PLOT_W / (n - 1) : 0;
    for (int i = 0; i < n; i++)
        if ((first + i + 1) % every == 0 || n == 1) {
            double x = n > 1 ? px + i * dx : px + PLOT_W / 2.0;
            snprintf(buf, sizeof buf, "%d", first + i + 1);
            text(o, x, py + PLOT_H + 16, "middle", 11, buf);
        }
    text(o, px + PLOT_W / 2.0, py + PLOT_H + 34, "middle", 12, "epoch");
    fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 %.1f %.1f)\">%s</text>\n",
            x0 + 14, py + PLOT_H / 2.0, x0 + 14, py + PLOT_H / 2.0, ylabel);
    fprintf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"104\" height=\"%d\" fill=\"white\" fill-opacity=\"0.8\"/>\n",
            px + PLOT_W - 114, py + 2, nb ? 36 : 20);
    for (int s = 0; s < 2; s++) {
        const double *v = s ? b : a;
        int len = s ? nb : na;
        if (!len)
            continue;
        fprintf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colours[s]);
        for (int i = 0; i < len; i++)
            if (isfinite(v[i]))
                fprintf(o, "%.1f,%.1f ", n > 1 ? px + i * dx : px + PLOT_W / 2.0,
                        py + PLOT_H - (v[i] - lo) / (hi - lo) * PLOT_H);
        fputs("\"/>\n", o);
        for (int i = 0; i < len; i++)
            if (isfinite(v[i]))
                fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n",
                        n > 1 ? px + i * dx : px + PLOT_W / 2.0, py + PLOT_H - (v[i] - lo) / (hi - lo) * PLOT_H,
                        colours[s]);
        double ly = py + 14 + 16 * s;
        fprintf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>\n",
                px + PLOT_W - 110, ly - 4, px + PLOT_W - 90, ly - 4, colours[s]);
        text(o, px + PLOT_W - 86, ly, "start", 11, names[s]);
    }
}

int nnm_plot_history(const char *path, const char *title, const char *const *keys, const NnmResult *res, int nkeys,
                     int first)
{
    NnmOut *tmp;
    FILE *o = nnm_out_open(path, &tmp);
    if (!o)
        return -1;
    /* panels: the loss, then each metric, each with its val_ partner */
    int npanels = 0, which[16];
    for (int k = 0; k < nkeys && npanels < 16; k++)
        if (strncmp(keys[k], "val_", 4) && strcmp(keys[k], "lr"))
            which[npanels++] = k;
    int cols = npanels < 3 ? (npanels ? npanels : 1) : 3, rows = npanels ? (npanels + cols - 1) / cols : 1;
    fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
               "width=\"%d\" height=\"%d\" font-family=\"Helvetica, Arial, sans-serif\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            PANEL_W * cols, PANEL_H * rows + 30);
    text(o, PANEL_W * cols / 2.0, PANEL_H * rows + 22, "middle", 12, title);
    for (int p = 0; p < npanels; p++) {
        const char *key = keys[which[p]];
        char vkey[80], ttl[96];
        snprintf(vkey, sizeof vkey, "val_%s", key);
        int v = -1;
        for (int k = 0; k < nkeys; k++)
            if (!strcmp(keys[k], vkey))
                v = k;
        const char *names[2] = {"training", "validation"};
        snprintf(ttl, sizeof ttl, "model %s", !strcmp(key, "acc") ? "accuracy" : key);
        const NnmResult *a = &res[which[p]], *b = v >= 0 ? &res[v] : NULL;
        panel(o, PANEL_W * (p % cols), PANEL_H * (p / cols), ttl, !strcmp(key, "acc") ? "accuracy" : key, names, a->v, a->n, b ? b->v : NULL,
              b ? b->n : 0, first);
    }
    fputs("</svg>\n", o);
    return nnm_out_commit(o, tmp, 1);
}

int nnm_plot_confusion(const char *path, const char *title, int classes, const char *const *names,
                       const int64_t *counts)
{
    NnmOut *tmp;
    FILE *o = nnm_out_open(path, &tmp);
    if (!o)
        return -1;
    const int cell = classes <= 10 ? 40 : classes <= 30 ? 20 : 8, left = 110, top = 60;
    int size = cell * classes;
    int64_t most = 1;
    for (int i = 0; i < classes * classes; i++)
        most = counts[i] > most ? counts[i] : most;
    fprintf(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
               "width=\"%d\" height=\"%d\" font-family=\"Helvetica, Arial, sans-serif\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            left + size + 30, top + size + 60);
    text(o, left + size / 2.0, 24, "middle", 15, title);
    text(o, left + size / 2.0, top + size + 44, "middle", 12, "predicted class");
    fprintf(o, "<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 14 %.1f)\">"
               "true class</text>\n",
            top + size / 2.0, top + size / 2.0);
    char buf[32];
    for (int r = 0; r < classes; r++) {
        snprintf(buf, sizeof buf, "%d", r);
        text(o, left - 6, top + r * cell + cell / 2.0 + 4, "end", 11, names ? names[r] : buf);
        if (cell >= 20)
            text(o, left + r * cell + cell / 2.0, top - 6, "middle", 11, buf);
        for (int c = 0; c < classes; c++) {
            int64_t v = counts[r * classes + c];
            double f = (double)v / (double)most;
            /* white to matplotlib's dark blue */
            int red = (int)(255 - f * (255 - 8)), green = (int)(255 - f * (255 - 48)), blue = (int)(255 - f * (255 - 107));
            fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#%02x%02x%02x\" stroke=\"#eee\"/>\n",
                    left + c * cell, top + r * cell, cell, cell, red, green, blue);
            if (cell >= 20) {
                snprintf(buf, sizeof buf, "%lld", (long long)v);
                fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"%d\" fill=\"%s\">%s</text>\n",
                        left + c * cell + cell / 2.0, top + r * cell + cell / 2.0 + 4, cell >= 40 ? 11 : 8,
                        f > 0.5 ? "white" : "black", buf);
            }
        }
    }
    fputs("</svg>\n", o);
    return nnm_out_commit(o, tmp, 1);
}

char *nnm_confusion_path(const char *dir, const NnmModel *m, int k, int n)
{
    if (m->noutputs == 1)
        return nnm_plot_path(dir, "confusion", n);
    const char *out = m->layers[m->outputs[k].node].name;
    size_t len = strlen(dir) + strlen(out) + 40;
    char *path = nnm_xmalloc(len);
    snprintf(path, len, "%s/confusion%d_%s.svg", dir, n, out);
    return path;
}

char *nnm_plot_path(const char *dir, const char *name, int n)
{
    size_t len = strlen(dir) + strlen(name) + 32;
    char *path = nnm_xmalloc(len);
    snprintf(path, len, "%s/%s%d.svg", dir, name, n);
    return path;
}
