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

/* node i of model m (-1: the input); a merge's input is the list of its
 * inputs' shapes, as plot_model shows it */
static void node(FILE *o, const NnmModel *md, int m, int i, const char *name, const char *cls)
{
    const NnmLayer *l = i >= 0 ? &md->layers[i] : NULL;
    fprintf(o, "    m%d_%d [label=\"{", m, i + 1);
    label_text(o, name);
    fputs(": ", o);
    label_text(o, cls);
    fputs("|{input:|output:}|{", o);
    if (!l)
        shape(o, &md->input);
    for (int k = 0; l && k < l->nin; k++) {
        fputs(l->nin > 1 ? (k ? ", " : "[") : "", o);
        shape(o, l->inputs[k] >= 0 ? &md->layers[l->inputs[k]].out : &md->input);
    }
    fputs(l && l->nin > 1 ? "]|" : "|", o);
    shape(o, l ? &l->out : &md->input);
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
        char in_name[NNM_NAME_MAX + 8];
        snprintf(in_name, sizeof in_name, "input_%d", m + 1);
        node(o, md, m, -1, in_name, "InputLayer");
        /* one box per layer: a layer called again is its first call's box */
        for (int i = 0; i < md->nlayers; i++) {
            const NnmLayer *l = &md->layers[i];
            if (!l->weights_of)
                node(o, md, m, i, l->name, layer_kinds[l->kind]->name);
            for (int k = 0; k < l->nin; k++) {
                int from = l->inputs[k] >= 0 ? net_weights_owner(md, l->inputs[k]) + 1 : 0;
                fprintf(o, "    m%d_%d -> m%d_%d;\n", m, from, m, net_weights_owner(md, i) + 1);
            }
        }
        if (p->nmodels > 1)
            fputs("  }\n", o);
    }
    fputs("}\n", o);
    return ferror(o) ? -1 : 0;
}
