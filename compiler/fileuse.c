/* compiler/fileuse.c — which files a program reads and writes, checked
 * when it is compiled, so that no run can destroy a user's file:
 *
 *   - nothing the program writes (CSVLogger, ModelCheckpoint, save_weights,
 *     np.save) may be a file it reads: its own source, a load_csv() file, or
 *     weights it loads that it has not written itself before;
 *   - two writers may share a file only when they write the same thing:
 *     the weights of the same model, the log of the same kind.
 *
 * Files are compared as files (nnm_same_file: the same inode, or the same
 * name in the same directory), not as spellings.  ModelCheckpoint's names
 * with {epoch:02d} fields are matched as patterns against the others.  What
 * is known only at run time (--plot, --checkpoint, --data) is checked by the
 * runtime (nnm_check_outputs). */
#include "sema_int.h"
#include "arena.h"
#include "files.h"

#include <stdlib.h>
#include <string.h>

struct FileUse {
    const char *path;
    int role;       /* FU_* */
    int model;      /* whose weights (FU_WEIGHTS_*, FU_CHECKPOINT), else -1 */
    int own;        /* a read of a file the program wrote before it */
    const Ast *at;
    FileUse *next;
};

static const char *const role_names[] = {
    [FU_SOURCE] = "the program's own source",  [FU_CSV] = "the load_csv() data",
    [FU_LOAD] = "the weights load_weights() reads", [FU_SAVE] = "the weights save_weights() writes",
    [FU_CHECKPOINT] = "the weights ModelCheckpoint writes", [FU_LOG] = "the log CSVLogger writes",
    [FU_NPY] = "the predictions np.save() writes"};

static int is_write(int role) { return role >= FU_SAVE; }
static int writes_weights(int role) { return role == FU_SAVE || role == FU_CHECKPOINT; }

/* ModelCheckpoint('w-{epoch:02d}.npz') names many files: '{...}' matches
 * any text.  p and s are whole names. */
static int glob_braces(const char *p, const char *s)
{
    if (!*p)
        return !*s;
    if (*p == '{') {
        const char *close = strchr(p, '}');
        if (!close)
            return !strcmp(p, s);
        for (const char *t = s;; t++) {
            if (glob_braces(close + 1, t))
                return 1;
            if (!*t)
                return 0;
        }
    }
    return *p == *s && glob_braces(p + 1, s + 1);
}

static int same(const char *a, const char *b)
{
    int pa = strchr(a, '{') != NULL, pb = strchr(b, '{') != NULL;
    if (!pa && !pb)
        return nnm_same_file(a, b);
    if (pa && pb)
        return !strcmp(a, b);
    const char *pat = pa ? a : b, *name = pa ? b : a;
    /* the pattern's directory must be the name's (a pattern in the
     * directory part is compared as text) */
    const char *ps = strrchr(pat, '/'), *ns = strrchr(name, '/');
    const char *pbase = ps ? ps + 1 : pat, *nbase = ns ? ns + 1 : name;
    if (!glob_braces(pbase, nbase))
        return 0;
    /* the directories, "." for none, "/" for the root */
    size_t pl = ps ? (size_t)(ps - pat) : 0, nl = ns ? (size_t)(ns - name) : 0;
    char *pd = nnm_xmalloc(pl + 2), *nd = nnm_xmalloc(nl + 2);
    snprintf(pd, pl + 2, "%.*s", (int)pl, pat);
    snprintf(nd, nl + 2, "%.*s", (int)nl, name);
    if (!ps || !pl)
        strcpy(pd, ps ? "/" : ".");
    if (!ns || !nl)
        strcpy(nd, ns ? "/" : ".");
    int r = strchr(pd, '{') ? !strcmp(pd, nd) : nnm_same_file(pd, nd);
    free(pd);
    free(nd);
    return r;
}

static void conflict(Sema *s, const FileUse *u, const FileUse *e, const char *why)
{
    diag_error(s->diag, u->at->loc, "'%s' %s %s (%s)", u->path,
               strchr(u->path, '{') || strchr(e->path, '{') ? "may be" : "is", role_names[e->role], why);
    if (e->at)
        diag_note(s->diag, e->at->loc, "%s named here", role_names[e->role]);
}

int sema_file_use(Sema *s, const char *path, int role, int model, const Ast *at)
{
    FileUse *u = arena_alloc(s->arena, sizeof *u);
    *u = (FileUse){path, role, model, 0, at, NULL};
    int rc = 0;
    for (FileUse *e = s->files; e && rc == 0; e = e->next) {
        if (!same(path, e->path))
            continue;
        if (is_write(role) && !is_write(e->role) && !e->own) {
            conflict(s, u, e, e->role == FU_SOURCE ? "nnmc never overwrites it"
                              : "the program would overwrite a file it reads; write to another file");
            rc = -1;
        } else if (is_write(role) && is_write(e->role) &&
                   (writes_weights(role) != writes_weights(e->role) || (!writes_weights(role) && role != e->role) ||
                    e->model != model)) {
            conflict(s, u, e, "two writers of one file would destroy each other's work");
            rc = -1;
        } else if (!is_write(role) && is_write(e->role)) {
            if (role == FU_CSV) { /* read when the program is compiled, before any run writes it */
                conflict(s, u, e, "the program would overwrite the data it is compiled with");
                rc = -1;
            }
            u->own = 1;
        }
    }
    if (rc == 0) { /* in program order */
        FileUse **t = &s->files;
        while (*t)
            t = &(*t)->next;
        *t = u;
    }
    return rc;
}
