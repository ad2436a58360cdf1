/* runtime/names.c — Keras spellings of the enums in program.h. */
#include "program.h"

const char *const nnm_act_names[ACT_COUNT] = {
#define X(id, name) name,
    NNM_ACTIVATIONS(X)
#undef X
};
const char *const nnm_init_names[INIT_COUNT] = {
#define X(id, name) name,
    NNM_INITIALIZERS(X)
#undef X
};
const char *const nnm_loss_names[LOSS_COUNT] = {
#define X(id, name) name,
    NNM_LOSSES(X)
#undef X
};
const char *const nnm_optim_names[OPT_COUNT] = {
#define X(id, name) name,
    NNM_OPTIMIZERS(X)
#undef X
};
const char *const nnm_schedule_names[SCHED_COUNT] = {
#define X(id, name) name,
    NNM_SCHEDULES(X)
#undef X
};
const char *const nnm_callback_names[CB_COUNT] = {
#define X(id, name) name,
    NNM_CALLBACKS(X)
#undef X
};
const char *const nnm_metric_names[MET_COUNT] = {
#define X(id, name) name,
    NNM_METRICS(X)
#undef X
};
