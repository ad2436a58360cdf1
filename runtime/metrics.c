/* runtime/metrics.c — see metrics.h.  The definitions are tf.keras's
 * (Keras 2.2 had only accuracy, top-k and the error metrics):
 *   Precision, Recall   every output unit above the threshold (0.5) is a
 *                       positive prediction; counts over all units
 *   F1Score             the argmax class is the prediction (threshold=None);
 *                       per-class F1 averaged (macro, weighted by support)
 *                       or from the global counts (micro)
 *   AUC                 ROC over every (sample, unit) pair, 200 thresholds,
 *                       trapezoids (summation_method='interpolation') */
#include "metrics.h"
#include "kernels.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void nnm_metrics_init(NnmMetrics *s, const NnmOutput *m, int64_t cols, int with_confusion)
{
    memset(s, 0, sizeof *s);
    s->m = m;
    s->cols = cols;
    s->classes = cols == 1 ? 2 : (int)cols;
    s->per_class = nnm_xcalloc((size_t)(3 * s->classes), sizeof *s->per_class);
    s->auc = nnm_xcalloc(2 * (NNM_AUC_THRESHOLDS + 1), sizeof *s->auc);
    if (with_confusion)
        s->confusion = nnm_xcalloc((size_t)s->classes * (size_t)s->classes, sizeof *s->confusion);
}

void nnm_metrics_reset(NnmMetrics *s)
{
    s->n = 0;
    memset(s->sum, 0, sizeof s->sum);
    memset(s->tp, 0, sizeof s->tp);
    memset(s->fp, 0, sizeof s->fp);
    memset(s->fn, 0, sizeof s->fn);
    memset(s->per_class, 0, sizeof *s->per_class * (size_t)(3 * s->classes));
    memset(s->auc, 0, sizeof *s->auc * 2 * (NNM_AUC_THRESHOLDS + 1));
    if (s->confusion)
        memset(s->confusion, 0, sizeof *s->confusion * (size_t)s->classes * (size_t)s->classes);
}

void nnm_metrics_free(NnmMetrics *s)
{
    free(s->per_class);
    free(s->auc);
    free(s->confusion);
    memset(s, 0, sizeof *s);
}

/* How many of Keras's AUC thresholds {-1e-7, 1/199, ..., 198/199, 1 + 1e-7}
 * lie strictly below p. */
static int auc_bucket(float p)
{
    if (!(p > -1e-7f))
        return 0;
    if (p > 1.0f + 1e-7f)
        return NNM_AUC_THRESHOLDS;
    double k = ceil((double)p * (NNM_AUC_THRESHOLDS - 1)) - 1;
    k = k < 0 ? 0 : k > NNM_AUC_THRESHOLDS - 2 ? NNM_AUC_THRESHOLDS - 2 : k;
    return 1 + (int)k;
}

void nnm_metrics_add(NnmMetrics *s, const float *y, const float *t, int64_t rows)
{
    const NnmOutput *m = s->m;
    int64_t C = s->cols;
    int acc_kind = nnm_acc_kind(m->loss, C);
    for (int k = 0; k < m->nmetrics; k++) {
        const NnmMetric *mt = &m->metrics[k];
        switch ((NnmMetricKind)mt->kind) {
        case MET_ACC:
            s->sum[k] += nnm_accuracy(acc_kind, rows, C, y, t);
            break;
        case MET_TOP_K:
        case MET_SPARSE_TOP_K:
            for (int64_t r = 0; r < rows; r++) {
                const float *yr = y + r * C;
                int64_t c = nnm_argmax(t + r * C, C), above = 0;
                for (int64_t j = 0; j < C; j++)
                    above += yr[j] > yr[c];
                s->sum[k] += above < mt->k; /* ties count in the true class's favour, as in TF's in_top_k */
            }
            break;
        case MET_MSE:
        case MET_MAE:
            for (int64_t r = 0; r < rows; r++) {
                double e = 0;
                for (int64_t j = 0; j < C; j++) {
                    double d = (double)y[r * C + j] - t[r * C + j];
                    e += mt->kind == MET_MSE ? d * d : fabs(d);
                }
                s->sum[k] += e / (double)C;
            }
            break;
        case MET_PRECISION:
        case MET_RECALL:
            for (int64_t i = 0; i < rows * C; i++) {
                int pred = y[i] > mt->threshold, truth = t[i] > 0.5f;
                s->tp[k] += pred && truth;
                s->fp[k] += pred && !truth;
                s->fn[k] += !pred && truth;
            }
            break;
        case MET_AUC:
            for (int64_t i = 0; i < rows * C; i++)
                s->auc[(t[i] > 0.5f ? 0 : NNM_AUC_THRESHOLDS + 1) + auc_bucket(y[i])] += 1;
            break;
        case MET_F1:
        case MET_COUNT:
            break;
        }
    }
    /* classes by argmax (one output: above 0.5), for F1 and the report */
    for (int64_t r = 0; r < rows; r++) {
        int64_t truth = C == 1 ? t[r] > 0.5f : nnm_argmax(t + r * C, C);
        int64_t pred = C == 1 ? y[r] > 0.5f : nnm_argmax(y + r * C, C);
        if (truth == pred) {
            s->per_class[3 * truth] += 1;
        } else {
            s->per_class[3 * pred + 1] += 1;
            s->per_class[3 * truth + 2] += 1;
        }
        if (s->confusion)
            s->confusion[truth * s->classes + pred]++;
    }
    s->n += (double)rows;
}

static double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

static double f1_of(double tp, double fp, double fn)
{
    double p = ratio(tp, tp + fp), r = ratio(tp, tp + fn);
    return ratio(2 * p * r, p + r);
}

static double f1_average(const NnmMetrics *s, int average)
{
    const double *pc = s->per_class;
    /* one output: F1 of the positive class, as Keras computes it on that unit */
    int first = s->cols == 1 ? 1 : 0;
    double sum = 0, weight = 0, tp = 0, fp = 0, fn = 0;
    for (int c = first; c < s->classes; c++) {
        double support = pc[3 * c] + pc[3 * c + 2];
        double f = f1_of(pc[3 * c], pc[3 * c + 1], pc[3 * c + 2]);
        sum += average == F1_WEIGHTED ? f * support : f;
        weight += average == F1_WEIGHTED ? support : 1;
        tp += pc[3 * c], fp += pc[3 * c + 1], fn += pc[3 * c + 2];
    }
    return average == F1_MICRO ? f1_of(tp, fp, fn) : ratio(sum, weight);
}

static double auc_value(const double *h)
{
    const double *pos = h, *neg = h + NNM_AUC_THRESHOLDS + 1;
    double P = 0, N = 0;
    for (int b = 0; b <= NNM_AUC_THRESHOLDS; b++)
        P += pos[b], N += neg[b];
    /* threshold j counts as positive the samples in buckets above j */
    double tp = P, fp = N, area = 0;
    double tpr_prev = ratio(tp, P), fpr_prev = ratio(fp, N);
    for (int j = 0; j < NNM_AUC_THRESHOLDS; j++) {
        tp -= pos[j];
        fp -= neg[j];
        if (j == 0)
            tpr_prev = ratio(tp, P), fpr_prev = ratio(fp, N);
        else {
            double tpr = ratio(tp, P), fpr = ratio(fp, N);
            area += (fpr_prev - fpr) * (tpr_prev + tpr) / 2;
            tpr_prev = tpr, fpr_prev = fpr;
        }
    }
    return area;
}

void nnm_metrics_values(const NnmMetrics *s, double *out)
{
    const NnmOutput *m = s->m;
    for (int k = 0; k < m->nmetrics; k++) {
        const NnmMetric *mt = &m->metrics[k];
        switch ((NnmMetricKind)mt->kind) {
        case MET_ACC:
        case MET_TOP_K:
        case MET_SPARSE_TOP_K:
        case MET_MSE:
        case MET_MAE:
            out[k] = ratio(s->sum[k], s->n);
            break;
        case MET_PRECISION:
            out[k] = ratio(s->tp[k], s->tp[k] + s->fp[k]);
            break;
        case MET_RECALL:
            out[k] = ratio(s->tp[k], s->tp[k] + s->fn[k]);
            break;
        case MET_F1:
            out[k] = f1_average(s, mt->average);
            break;
        case MET_AUC:
            out[k] = auc_value(s->auc);
            break;
        case MET_COUNT:
            NNM_UNREACHABLE();
        }
    }
}

void nnm_metrics_report(const NnmMetrics *s, FILE *out, const char *const *names)
{
    int C = s->classes, w = 12; /* "weighted avg" */
    char num[16];
    for (int c = 0; c < C && names; c++)
        w = NNM_MAX(w, (int)strlen(names[c]));
    fprintf(out, "Confusion matrix (rows: true class, columns: predicted class)\n%*s", w, "");
    for (int c = 0; c < C; c++) {
        snprintf(num, sizeof num, "%d", c);
        fprintf(out, " %6s", num);
    }
    fputc('\n', out);
    for (int r = 0; r < C; r++) {
        snprintf(num, sizeof num, "%d", r);
        fprintf(out, "%*s", w, names ? names[r] : num);
        for (int c = 0; c < C; c++)
            fprintf(out, " %6lld", (long long)s->confusion[r * C + c]);
        fputc('\n', out);
    }
    fprintf(out, "\n%*s %9s %9s %9s %9s\n\n", w, "", "precision", "recall", "f1-score", "support");
    const double *pc = s->per_class;
    double mp = 0, mr = 0, mf = 0, wp = 0, wr = 0, wf = 0, total = 0, correct = 0;
    for (int c = 0; c < C; c++) {
        double tp = pc[3 * c], fp = pc[3 * c + 1], fn = pc[3 * c + 2], support = tp + fn;
        double p = ratio(tp, tp + fp), r = ratio(tp, tp + fn), f = f1_of(tp, fp, fn);
        snprintf(num, sizeof num, "%d", c);
        fprintf(out, "%*s %9.4f %9.4f %9.4f %9.0f\n", w, names ? names[c] : num, p, r, f, support);
        mp += p, mr += r, mf += f;
        wp += p * support, wr += r * support, wf += f * support;
        total += support, correct += tp;
    }
    fprintf(out, "\n%*s %9s %9s %9.4f %9.0f\n", w, "accuracy", "", "", ratio(correct, total), total);
    fprintf(out, "%*s %9.4f %9.4f %9.4f %9.0f\n", w, "macro avg", mp / C, mr / C, mf / C, total);
    fprintf(out, "%*s %9.4f %9.4f %9.4f %9.0f\n", w, "weighted avg", ratio(wp, total), ratio(wr, total),
            ratio(wf, total), total);
}
