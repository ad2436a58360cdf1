/* compiler/memory.c — what a program will allocate, checked before it
 * runs: each model's weights, optimizer slots and per-batch buffers at its
 * largest batch, the data sets it loads, against what this process may
 * allocate (nnm_memory_limit). */
#include "sema_int.h"

#include <stdio.h>
#include <unistd.h>

int64_t model_params(const ModelV *m)
{
    int64_t t = 0;
    for (int i = 0; i < m->n; i++)
        t += m->layers[i]->d.nparams;
    return t;
}

/* Refuses a fit whose buffers cannot fit in this machine's memory:
 * weights, gradients and up to 3 optimizer slots, plus per-sample
 * activations, gradients and scratch for every layer, plus a workspace per
 * core. */
int program_memory(Sema *s, const Ast *at)
{
    double total = s->mem_models + s->mem_data, limit = nnm_memory_limit();
    if (total <= limit)
        return 0;
    diag_error(s->diag, at->loc, "the program needs %.1f GiB in all (its models %.1f GiB, its data %.1f GiB), more "
               "than this process may allocate (%.1f GiB)", total / (1 << 30), s->mem_models / (1 << 30),
               s->mem_data / (1 << 30), limit / (1 << 30));
    s->diag->fatal = 1;
    return -1;
}

int memory_check(Sema *s, ModelV *m, int64_t batch, const Ast *at)
{
    double in = 0;
    for (int k = 0; k < (m->functional ? m->ninputs : 1); k++)
        in += (double)shape_size(m->functional ? &m->inputs[k]->d.out : &m->input);
    double floats = 5.0 * (double)model_params(m) + (double)batch * in;
    double work = 0, bwork = 0;
    for (int i = 0; i < m->n; i++) {
        floats += (double)batch * (3.0 * (double)shape_size(&m->layers[i]->d.out) +
                                  (double)layer_kinds[m->layers[i]->d.kind]->scratch(&m->layers[i]->d));
        work = NNM_MAX(work, (double)layer_workspace(&m->layers[i]->d));
        bwork = NNM_MAX(bwork, (double)layer_batch_work(&m->layers[i]->d, batch));
    }
    floats += bwork;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    floats += work * (double)(cores > 0 ? cores : 1);
    double bytes = 4 * floats, phys = nnm_memory_limit();
    if (bytes > phys) {
        if (batch)
            diag_error(s->diag, at->loc, "training '%s' with batch_size %lld needs %.0f GiB, more than this machine's memory",
                       m->name, (long long)batch, bytes / (1 << 30));
        else
            diag_error(s->diag, at->loc, "the %.0f weights of '%s' need %.0f GiB, more than this machine's memory",
                       (double)model_params(m), m->name, bytes / (1 << 30));
        return -1;
    }
    /* each model keeps the buffers of its largest batch (net_plan) */
    if (bytes > m->mem_bytes) {
        s->mem_models += bytes - m->mem_bytes;
        m->mem_bytes = bytes;
    }
    return program_memory(s, at);
}
