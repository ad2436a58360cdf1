/* runtime/exec.c — the interpreter: runs the steps of a Program in order,
 * each through the session function of its kind (session.c). */
#include "exec.h"
#include "session.h"

int nnm_exec(const NnmProgram *p, const NnmRunOpts *o)
{
    NnmSession s;
    int rc = nnm_session_open(&s, p, o);
    for (int i = 0; i < p->nsteps && rc == 0; i++) {
        const NnmStep *st = &p->steps[i];
        switch (st->kind) {
        case STEP_PRINT: nnm_step_print(&s, st); break;
        case STEP_FIT: rc = nnm_step_fit(&s, st); break;
        case STEP_EVALUATE:
        case STEP_PREDICT: rc = nnm_step_infer(&s, st); break;
        case STEP_SAVE:
        case STEP_LOAD: rc = nnm_step_weights(&s, st); break;
        }
    }
    nnm_session_close(&s);
    return rc ? 1 : 0;
}
