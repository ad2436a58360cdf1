/* compiler/dot.c — `nnmc dot`: the models of a file as a Graphviz graph,
 * drawn as Keras's plot_model(model, show_shapes=True) draws them: one box
 * per layer with its name, class, and input and output shapes, an input
 * box first, arrows in the order data flows.  One cluster per model when
 * the file builds several. */
#include "emit.h"
#include "layer.h"
#include "net.h"

#include <stdio.h>
#include <string.h>

/* text inside a record label: its field separators and quotes escaped */
static void label_text(FILE *o, const char *s)
{
    for (; *s; s++) {
        if (strchr("{}|<>\"\\", *s))
            fputc('\\', o);
        if ((unsigned char)*s >= 32 && (unsigned char)*s < 127)
            fputc(*s, o);
    }
}

static void shape(FILE *o, const NnmShape *sh)
{
    fputs("(None", o);
    for (int i = 0; i < sh->rank; i++)
        fprintf(o, ", %lld", (long long)sh->dim[i]);
    fputc(')', o);
}

/* a node's Graphviz name: input k of model m (i < 0: -1 - k), or its node i */
static void node_id(FILE *o, int m, int i)
{
    if (i < 0)
        fprintf(o, "m%d_in%d", m, -1 - i);
    else
        fprintf(o, "m%d_%d", m, i + 1);
}

static const NnmShape *tensor_shape(const NnmModel *md, int i)
{
    return i >= 0 ? &md->layers[i].out : &md->inputs[-1 - i];
}

/* node i of model m (< 0: an input); a merge's input is the list of its
 * inputs' shapes, as plot_model shows it */
static void node(FILE *o, const NnmModel *md, int m, int i, const char *name, const char *cls)
{
    const NnmLayer *l = i >= 0 ? &md->layers[i] : NULL;
    fputs("    ", o);
    node_id(o, m, i);
    fputs(" [label=\"{", o);
    label_text(o, name);
    fputs(": ", o);
    label_text(o, cls);
    fputs("|{input:|output:}|{", o);
    if (!l)
        shape(o, tensor_shape(md, i));
    for (int k = 0; l && k < l->nin; k++) {
        fputs(l->nin > 1 ? (k ? ", " : "[") : "", o);
        shape(o, tensor_shape(md, l->inputs[k]));
    }
    fputs(l && l->nin > 1 ? "]|" : "|", o);
    shape(o, tensor_shape(md, i));
    fputs("}}\"];\n", o);
}

int nnm_write_dot(const NnmProgram *p, FILE *o)
{
    fputs("digraph model {\n    graph [rankdir=TB];\n    node [shape=record, fontname=\"Helvetica\"];\n", o);
    for (int m = 0; m < p->nmodels; m++) {
        const NnmModel *md = &p->models[m];
        if (p->nmodels > 1) {
            fprintf(o, "  subgraph cluster_%d {\n    label=\"", m);
            label_text(o, md->name);
            fputs("\";\n", o);
        }
        for (int k = 0; k < md->ninputs; k++)
            node(o, md, m, -1 - k, md->input_names[k], "InputLayer");
        /* one box per layer: a layer called again is its first call's box */
        for (int i = 0; i < md->nlayers; i++) {
            const NnmLayer *l = &md->layers[i];
            if (!l->weights_of)
                node(o, md, m, i, l->name, layer_kinds[l->kind]->name);
            for (int k = 0; k < l->nin; k++) {
                fputs("    ", o);
                node_id(o, m, l->inputs[k] >= 0 ? net_weights_owner(md, l->inputs[k]) : l->inputs[k]);
                fputs(" -> ", o);
                node_id(o, m, net_weights_owner(md, i));
                fputs(";\n", o);
            }
        }
        if (p->nmodels > 1)
            fputs("  }\n", o);
    }
    fputs("}\n", o);
    return ferror(o) ? -1 : 0;
}
