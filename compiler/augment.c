/* compiler/augment.c — keras.preprocessing.image.ImageDataGenerator as a
 * .nnm file builds it, with Keras 2.2's arguments, and its methods flow()
 * (the generator fit() and fit_generator() train on) and fit() (nothing to
 * do: nnmc has no feature-wise statistics).  The transforms themselves are
 * runtime/augment.c. */
#include "sema_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

Value *make_datagen(Sema *s, const Args *a)
{
    /* Keras 2.2.4's order; the first six and the later unsupported ones may
     * be given only as off (False, 0, None), as the Keras examples do */
    static const Param params[] = {
        {"featurewise_center", 1, 0}, {"samplewise_center", 1, 0}, {"featurewise_std_normalization", 1, 0},
        {"samplewise_std_normalization", 1, 0}, {"zca_whitening", 1, 0}, {"zca_epsilon", 1, 0},
        {"rotation_range", 1, 0}, {"width_shift_range", 1, 0}, {"height_shift_range", 1, 0},
        {"brightness_range", 1, 0}, {"shear_range", 1, 0}, {"zoom_range", 1, 0}, {"channel_shift_range", 1, 0},
        {"fill_mode", 1, 0}, {"cval", 1, 0}, {"horizontal_flip", 1, 0}, {"vertical_flip", 1, 0},
        {"rescale", 1, 0}, {"preprocessing_function", 1, 0}, {"data_format", 1, 0}, {"validation_split", 1, 0},
        {"dtype", 1, 0}, {NULL, 0, 0}};
    enum { ZCA_EPS = 5, ROT, WSHIFT, HSHIFT, BRIGHT, SHEAR, ZOOM, CHSHIFT, FILL, CVAL, HFLIP, VFLIP, RESCALE,
           PREPROC, FORMAT, VSPLIT, DTYPE, NPARAMS };
    Value *val[NPARAMS];
    const Ast *where[NPARAMS];
    if (bind_args(s, a, "ImageDataGenerator", params, val, where))
        return val_err(s);
    NnmAugment *au = NEW(s->arena, NnmAugment);
    memset(au, 0, sizeof *au);
    au->on = 1;
    au->zoom[0] = au->zoom[1] = 1;
    int ok = 1;
    for (int i = 0; i < NPARAMS; i++) {
        Value *v = val[i];
        if (!v)
            continue;
        const char *name = params[i].name;
        char what[96];
        snprintf(what, sizeof what, "argument '%s' of ImageDataGenerator", name);
        double d;
        int b;
        const char *str;
        switch (i) {
        case ROT:
        case WSHIFT:
        case HSHIFT:
        case SHEAR:
        case CVAL: {
            double *field = i == ROT ? &au->rotation : i == WSHIFT ? &au->width_shift : i == HSHIFT ? &au->height_shift
                          : i == SHEAR ? &au->shear : &au->cval;
            if (want_num(s, v, where[i], what, &d)) {
                ok = 0;
            } else if (i != CVAL && (d < 0 || d > 1e6)) {
                diag_error(s->diag, where[i]->loc, "%s must be at least 0, got %g", what, d);
                ok = 0;
            } else {
                *field = d;
            }
            break;
        }
        case ZOOM:
            if ((v->k == V_LIST || v->k == V_TUPLE) && v->n == 2) {
                double lo, hi;
                if (want_num(s, v->v[0], where[i], what, &lo) || want_num(s, v->v[1], where[i], what, &hi)) {
                    ok = 0;
                } else if (!(lo > 0 && hi >= lo && hi < 1e6)) {
                    diag_error(s->diag, where[i]->loc, "%s must be [lower, upper] with 0 < lower <= upper", what);
                    ok = 0;
                } else {
                    au->zoom[0] = lo;
                    au->zoom[1] = hi;
                }
            } else if (want_num(s, v, where[i], what, &d)) {
                ok = 0;
            } else if (d < 0 || d >= 1) {
                diag_error(s->diag, where[i]->loc, "%s must be in [0, 1) (or [lower, upper]), got %g", what, d);
                ok = 0;
            } else {
                au->zoom[0] = 1 - d;
                au->zoom[1] = 1 + d;
            }
            break;
        case HFLIP:
        case VFLIP:
            if (want_bool(s, v, where[i], what, &b))
                ok = 0;
            else
                *(i == HFLIP ? &au->hflip : &au->vflip) = b;
            break;
        case FILL: {
            static const char *const modes[] = {"nearest", "constant", "reflect", "wrap"};
            if (name_lookup(s, v, where[i], "fill_mode", modes, 4, NULL, NULL, &au->fill))
                ok = 0;
            break;
        }
        case RESCALE:
            /* nnmc's pixel arrays are in [0, 1] already, as after x / 255 */
            if (v->k == V_NONE)
                break;
            if (want_num(s, v, where[i], what, &d)) {
                ok = 0;
            } else if (fabs(d * 255 - 1) > 1e-9 && d != 1) {
                diag_error(s->diag, where[i]->loc, "nnmc's pixels are in [0, 1] already: rescale must be None or 1/255, got %g",
                           d);
                ok = 0;
            } else {
                au->cval /= d == 1 ? 1 : 255; /* cval is in the unscaled pixels' units */
            }
            break;
        case FORMAT:
            if (v->k == V_NONE)
                break;
            if (want_str(s, v, where[i], what, &str) || strcmp(str, "channels_last")) {
                if (v->k == V_STR)
                    diag_error(s->diag, where[i]->loc, "nnmc supports data_format='channels_last' only");
                ok = 0;
            }
            break;
        case DTYPE:
            break;
        default: {
            /* unsupported options, accepted when off */
            int off = v->k == V_NONE || (v->k == V_BOOL && !v->i) || (v->k == V_INT && v->i == 0) ||
                      (v->k == V_FLOAT && v->f == 0) || (i == ZCA_EPS && (v->k == V_FLOAT || v->k == V_INT));
            if (!off) {
                diag_error(s->diag, where[i]->loc, "nnmc does not support %s", what);
                ok = 0;
            }
        }
        }
    }
    if (!ok)
        return val_err(s);
    Value *g = val_new(s, V_DATAGEN);
    g->aug = au;
    return g;
}

/* datagen.flow(x, y, batch_size=32, shuffle=True, seed=None) and
 * datagen.fit(x) */
Value *datagen_method(Sema *s, Value *gen, int flow, const Args *a)
{
    if (!flow) {
        static const Param params[] = {{"x", 1, 1}, {"augment", 1, 0}, {"rounds", 1, 0}, {"seed", 1, 0}, {NULL, 0, 0}};
        Value *val[4];
        const Ast *where[4];
        if (bind_args(s, a, "fit", params, val, where))
            return val_err(s);
        if (val[0]->k != V_ARRAY) {
            diag_error(s->diag, where[0]->loc, "ImageDataGenerator.fit needs the training images, got %s",
                       val_kind_name(val[0]));
            return val_err(s);
        }
        return val_new(s, V_NONE); /* no feature-wise statistics to compute */
    }
    static const Param params[] = {{"x", 1, 1}, {"y", 1, 0}, {"batch_size", 1, 0}, {"shuffle", 1, 0},
                                   {"sample_weight", 1, 0}, {"seed", 1, 0}, {NULL, 0, 0}};
    Value *val[6];
    const Ast *where[6];
    if (bind_args(s, a, "flow", params, val, where))
        return val_err(s);
    if (!val[1] || val[1]->k == V_NONE) {
        diag_error(s->diag, a->call->loc, "flow needs the labels y to train on");
        return val_err(s);
    }
    if (val[4] && val[4]->k != V_NONE) {
        diag_error(s->diag, where[4]->loc, "nnmc does not support sample_weight");
        return val_err(s);
    }
    if (val[5] && val[5]->k != V_NONE) {
        diag_error(s->diag, where[5]->loc, "the transforms follow the run's seed (--seed): leave flow(seed=) out");
        return val_err(s);
    }
    int64_t bs = 32;
    if (val[2] && want_int(s, val[2], where[2], "batch_size", 1, &bs))
        return val_err(s);
    if (bs > 1000000) {
        diag_error(s->diag, where[2]->loc, "batch_size %lld is too large", (long long)bs);
        return val_err(s);
    }
    int shuffle = 1;
    if (val[3] && want_bool(s, val[3], where[3], "shuffle", &shuffle))
        return val_err(s);
    Value *f = val_new(s, V_FLOW);
    f->aug = gen->aug;
    f->flow_x = val[0];
    f->flow_y = val[1];
    f->flow_at = a->call;
    f->flow_batch = bs;
    f->flow_shuffle = shuffle;
    return f;
}
