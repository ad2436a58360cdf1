/* runtime/metrics.h — compile(metrics=[...]) over an epoch or an evaluate,
 * and the confusion matrix of `nnmc run --report`.
 *
 * Metrics are stateful, as in Keras: accuracy, top-k, mse and mae are means
 * over the samples seen; precision, recall, F1 and AUC are computed from
 * counts gathered over all of them (not averages of per-batch figures).
 *
 * Targets are what the runtime trains on: one-hot rows, or the label 0/1
 * itself when the model has one output.  A sample's class is the argmax of
 * its row (one output: above 0.5 or not). */
#ifndef NNM_METRICS_H
#define NNM_METRICS_H
#include <stdint.h>
#include <stdio.h>
#include "program.h"

#define NNM_AUC_THRESHOLDS 200 /* Keras's AUC(num_thresholds=200) */

typedef struct {
    const NnmOutput *m;         /* the output whose metrics these are */
    int64_t cols;               /* outputs per sample */
    int classes;                /* cols, or 2 for one output */
    double n;                   /* samples seen */
    double sum[NNM_MAX_METRICS];/* mean metrics: running sums */
    double tp[NNM_MAX_METRICS], fp[NNM_MAX_METRICS], fn[NNM_MAX_METRICS]; /* precision, recall */
    double *per_class;          /* [3 * classes]: tp, fp, fn by class (F1) */
    double *auc;                /* [2 * (NNM_AUC_THRESHOLDS + 1)]: positives, negatives by bucket */
    int64_t *confusion;         /* [classes * classes] rows true, columns predicted; or NULL */
} NnmMetrics;

/* The metrics of one output of a model; with_confusion: also count the
 * confusion matrix (--report). */
void nnm_metrics_init(NnmMetrics *s, const NnmOutput *m, int64_t cols, int with_confusion);
void nnm_metrics_reset(NnmMetrics *s);
/* rows outputs y and targets t, [rows, cols] each */
void nnm_metrics_add(NnmMetrics *s, const float *y, const float *t, int64_t rows);
/* The model's metrics in compile order, so far. */
void nnm_metrics_values(const NnmMetrics *s, double *out);
void nnm_metrics_free(NnmMetrics *s);
/* The confusion matrix and per-class precision, recall and F1 with their
 * macro and weighted averages (as sklearn's classification_report lays
 * them out).  names: class names, or NULL for the numbers. */
void nnm_metrics_report(const NnmMetrics *s, FILE *out, const char *const *names);
#endif
