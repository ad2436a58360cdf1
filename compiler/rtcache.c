/* compiler/rtcache.c — the runtime part of built programs, compiled once.
 *
 * Every program nnmc emits is the same runtime text followed by one
 * model's part.  `nnmc build` compiles the runtime's files once per runtime
 * text, compiler (its --version output), flags and BLAS choice, in
 * parallel, into a cache directory, and then compiles only the model's
 * part (nnm_emit_model_part) against those objects.  The program is the
 * one PROG.c holds, translation unit for translation unit: the runtime
 * files are compiled with the very prelude emit puts first, and no flag
 * changes how they round (the exactness tests build through this path).
 *
 * Where the cache lives: $NNMC_CACHE; else $XDG_CACHE_HOME/nnmc; else
 * $HOME/.cache/nnmc.  NNMC_CACHE=off (or empty) compiles PROG.c whole.
 * An entry rt-KEY appears whole or not at all: it is built in a private
 * work directory and renamed into place, so concurrent builds and
 * interrupted ones never leave a half-compiled runtime behind.  For the
 * default compiler and flags the entry usually needs no compiling: nnmc
 * carries it, compiled when nnmc was built (the seed, rtcache.h). */
#include "rtcache.h"
#include "util.h"

#include <errno.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_JOBS 16

typedef struct {
    char *buf;
    size_t len, cap;
} Str;

static void str_add(Str *s, const char *t)
{
    size_t n = strlen(t);
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->buf = nnm_xrealloc(s->buf, s->cap);
    }
    memcpy(s->buf + s->len, t, n + 1);
    s->len += n;
}

/* a freshly allocated a b c (c may be NULL) */
static char *join3(const char *a, const char *b, const char *c)
{
    Str s = {0};
    str_add(&s, a);
    str_add(&s, b);
    if (c)
        str_add(&s, c);
    return s.buf;
}

static char *join(const char *a, const char *b) { return join3(a, b, NULL); }

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * UINT64_C(0x100000001b3);
    return (h ^ 0xff) * UINT64_C(0x100000001b3); /* ends each part: "ab","c" is not "a","bc" */
}

/* mkdir -p; 0, or -1 with errno */
static int make_dirs(const char *path)
{
    char *p = nnm_xstrdup(path);
    int rc = 0;
    for (char *q = p + 1; rc == 0; q++) {
        if (*q && *q != '/')
            continue;
        char c = *q;
        *q = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            rc = -1;
        *q = c;
        if (!c)
            break;
    }
    free(p);
    return rc;
}

/* rm -r of a tree this file made (directories and regular files only; a
 * symbolic link is removed, never followed) */
static void remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *sub = join3(path, "/", e->d_name);
            remove_tree(sub);
            free(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else
        unlink(path);
}

/* The directory of the cache, made if needed; NULL (after a note, unless
 * it is switched off) when there is none: build then compiles PROG.c. */
static char *cache_dir(void)
{
    const char *env = getenv("NNMC_CACHE"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char *dir;
    if (env)
        dir = *env && strcmp(env, "off") ? nnm_xstrdup(env) : NULL;
    else if (xdg && *xdg == '/')
        dir = join(xdg, "/nnmc");
    else if (home && *home == '/')
        dir = join(home, "/.cache/nnmc");
    else
        dir = NULL;
    if (dir && make_dirs(dir) != 0) {
        printf("nnmc: note: no runtime cache at %s (%s): compiling the whole program\n", dir, strerror(errno));
        free(dir);
        dir = NULL;
    }
    return dir;
}


static char *object_path(const char *rt, int i)
{
    char *src = join3(rt, "/", nnm_runtime_texts[i].path), *o = join(src, ".o");
    free(src);
    return o;
}

/* What the runtime's objects depend on: the compiler as it names itself,
 * its command words and flags, the BLAS choice, emit's prelude and every
 * runtime text. */
static int runtime_key(char **base, int nbase, uint64_t *key)
{
    char *argv[NNM_BUILD_MAX_ARGS + 2];
    int argc = 0;
    for (; argc < nbase && argc < NNM_BUILD_MAX_ARGS; argc++)
        argv[argc] = base[argc];
    argv[argc++] = "--version";
    argv[argc] = NULL;
    char *version = NULL;
    if (nnm_run_command(argv, NULL, &version) != 0) {
        free(version);
        return -1;
    }
    uint64_t h = fnv(UINT64_C(0xcbf29ce484222325), "nnmc runtime objects 1", 22);
    h = fnv(h, version, strlen(version));
    free(version);
    for (int i = 0; i < nbase; i++)
        h = fnv(h, base[i], strlen(base[i]));
    char *prelude = NULL; /* what every runtime file is compiled after */
    size_t plen = 0;
    FILE *pf = open_memstream(&prelude, &plen);
    if (pf) {
        nnm_emit_prelude(pf);
        fclose(pf);
        h = fnv(h, prelude, plen);
    }
    free(prelude);
    for (int i = 0; nnm_runtime_texts[i].name; i++) {
        h = fnv(h, nnm_runtime_texts[i].path, strlen(nnm_runtime_texts[i].path));
        h = fnv(h, nnm_runtime_texts[i].text, strlen(nnm_runtime_texts[i].text));
    }
    *key = h;
    return 0;
}

static int complete(const char *rt)
{
    struct stat sb;
    for (int i = 0; nnm_runtime_texts[i].name; i++) {
        if (!emit_is_program_source(i))
            continue;
        char *o = object_path(rt, i);
        int ok = stat(o, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0;
        free(o);
        if (!ok)
            return 0;
    }
    return 1;
}

/* Writes the runtime's texts under dir (as runtime/..., the layout their
 * #includes expect; each .c after emit's prelude), 0 or -1 after a message. */
static int write_texts(const char *dir)
{
    for (int i = 0; nnm_runtime_texts[i].name; i++) {
        const NnmSourceText *t = &nnm_runtime_texts[i];
        char *path = join3(dir, "/", t->path);
        char *slash = strrchr(path, '/');
        *slash = 0;
        int rc = make_dirs(path);
        *slash = '/';
        FILE *f = rc == 0 ? fopen(path, "w") : NULL;
        if (f) {
            if (emit_is_program_source(i)) {
                nnm_emit_prelude(f);
                fprintf(f, "#line 1 \"%s\"\n", t->path);
            }
            fputs(t->text, f);
            rc = ferror(f) | fclose(f);
        }
        if (!f || rc) {
            fprintf(stderr, "nnmc: error: %s: cannot write: %s\n", path, strerror(errno));
            free(path);
            return -1;
        }
        free(path);
    }
    return 0;
}

/* Starts the compiler argv; fd >= 0 becomes its standard output.  Its
 * pid, or -1 after a message.  A compiler that cannot be run says so and
 * exits 127. */
static pid_t spawn(char **argv, int fd)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (fd >= 0)
            dup2(fd, 1);
        execvp(argv[0], argv);
        fprintf(stderr, "nnmc: error: cannot run the C compiler '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (pid < 0)
        fprintf(stderr, "nnmc: error: cannot start the C compiler: %s\n", strerror(errno));
    return pid;
}

/* 0 when a compiler's exit status is success; else -1, after "failed on
 * WHAT" unless what is NULL or it could not be run (it said so itself) */
static int check_status(int status, const char *what)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (what && (!WIFEXITED(status) || WEXITSTATUS(status) != 127))
        fprintf(stderr, "nnmc: error: the C compiler failed on %s\n", what);
    return -1;
}

int nnm_run_command(char **argv, const char *what, char **out)
{
    int fd[2] = {-1, -1};
    if (out && pipe(fd) != 0) {
        fprintf(stderr, "nnmc: error: cannot start the C compiler: %s\n", strerror(errno));
        return -1;
    }
    pid_t pid = spawn(argv, fd[1]);
    if (out) { /* all of its standard output, NUL-terminated */
        close(fd[1]);
        size_t len = 0, cap = 256;
        char *buf = nnm_xmalloc(cap);
        ssize_t k;
        while (pid > 0 && (k = read(fd[0], buf + len, cap - len - 1)) != 0) {
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0)
                break;
            len += (size_t)k;
            if (cap - len < 2)
                buf = nnm_xrealloc(buf, cap *= 2);
        }
        buf[len] = 0;
        close(fd[0]);
        *out = buf;
    }
    int status;
    if (pid < 0)
        return -1;
    if (waitpid(pid, &status, 0) < 0) {
        fprintf(stderr, "nnmc: error: lost the C compiler: %s\n", strerror(errno));
        return -1;
    }
    return check_status(status, what);
}

int nnm_run_printed(char **argv, const char *what)
{
    for (int i = 0; argv[i]; i++)
        printf("%s%s", i ? " " : "", argv[i]);
    putchar('\n');
    return nnm_run_command(argv, what, NULL);
}

typedef struct {
    size_t len;
    int text; /* index into nnm_runtime_texts */
} SourceJob;

static int longer_text(const void *a, const void *b)
{
    const SourceJob *x = a, *y = b;
    return x->len < y->len ? 1 : x->len > y->len ? -1 : x->text - y->text;
}

/* Compiles every runtime .c file of dir into its .o, as many at a time as
 * there are cores, the longest texts first (the last to start are then the
 * quickest, and the cores finish together).  0, or -1 after the compiler's
 * messages. */
static int compile_runtime(const char *dir, char **base, int nbase)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int jobs = cores < 1 ? 1 : cores > MAX_JOBS ? MAX_JOBS : (int)cores, running = 0, failed = 0;
    char *what = join(dir, " (the runtime)");
    char *inc1 = join3("-I", dir, "/runtime"), *inc2 = join3("-I", dir, "/runtime/layers");
    int n = 0;
    for (int i = 0; nnm_runtime_texts[i].name; i++)
        n++;
    SourceJob *order = nnm_xmalloc((size_t)(n + 1) * sizeof *order);
    int nsrc = 0;
    for (int i = 0; i < n; i++)
        if (emit_is_program_source(i))
            order[nsrc++] = (SourceJob){strlen(nnm_runtime_texts[i].text), i};
    qsort(order, (size_t)nsrc, sizeof *order, longer_text);
    for (int at = 0;; at++) {
        int more = at < nsrc, i = more ? order[at].text : -1;
        while (running > 0 && (running >= jobs || !more || failed)) {
            int status;
            if (wait(&status) < 0)
                break;
            running--;
            if (check_status(status, failed ? NULL : what) != 0)
                failed = 1; /* one message for the first failure */
        }
        if (!more || failed)
            break;
        char *argv[NNM_BUILD_MAX_ARGS + 8];
        int argc = 0;
        for (; argc < nbase; argc++)
            argv[argc] = base[argc];
        char *src = join3(dir, "/", nnm_runtime_texts[i].path), *obj = object_path(dir, i);
        argv[argc++] = inc1;
        argv[argc++] = inc2;
        argv[argc++] = "-c";
        argv[argc++] = "-o";
        argv[argc++] = obj;
        argv[argc++] = src;
        argv[argc] = NULL;
        if (spawn(argv, -1) < 0)
            failed = 1;
        else
            running++;
        free(src);
        free(obj);
    }
    free(order);
    free(inc1);
    free(inc2);
    free(what);
    return failed ? -1 : 0;
}

/* the seed object of program source i, or NULL */
static const NnmSeedObject *seed_object(int i)
{
    for (const NnmSeedObject *o = nnm_seed_objects; o->path; o++)
        if (!strncmp(o->path, nnm_runtime_texts[i].path, strlen(nnm_runtime_texts[i].path)) &&
            !strcmp(o->path + strlen(nnm_runtime_texts[i].path), ".o"))
            return o;
    return NULL;
}

/* Whether the objects nnmc carries (rtcache.h) are the entry for key: the
 * same key, and an object for every program source. */
static int seed_covers(uint64_t key)
{
    if (key != nnm_seed_key)
        return 0;
    for (int i = 0; nnm_runtime_texts[i].name; i++)
        if (emit_is_program_source(i) && !seed_object(i))
            return 0;
    return 1;
}

/* Writes the seed's objects into the entry dir (its texts are there
 * already); 0, or -1 after a message. */
static int write_seed(const char *dir)
{
    for (int i = 0; nnm_runtime_texts[i].name; i++) {
        if (!emit_is_program_source(i))
            continue;
        const NnmSeedObject *o = seed_object(i);
        char *path = object_path(dir, i);
        FILE *f = fopen(path, "wb");
        int bad = !f || fwrite(o->bytes, 1, (size_t)o->size, f) != (size_t)o->size;
        if (f)
            bad |= fclose(f) != 0;
        if (bad) {
            fprintf(stderr, "nnmc: error: %s: cannot write: %s\n", path, strerror(errno));
            free(path);
            return -1;
        }
        free(path);
    }
    return 0;
}

/* The runtime's objects for these flags: rt-KEY under the cache, compiled
 * now (or taken from the seed) if absent or incomplete.  Its path, or NULL after a message. */
static char *runtime_objects(const char *cache, const char *work, char **base, int nbase)
{
    uint64_t key;
    if (runtime_key(base, nbase, &key) != 0)
        return NULL;
    char name[32];
    snprintf(name, sizeof name, "/rt-%016" PRIx64, key);
    char *rt = join(cache, name);
    if (complete(rt))
        return rt;
    char *fresh = join(work, "/rt");
    const int seeded = seed_covers(key);
    printf(seeded ? "nnmc: the runtime for these flags, as compiled when nnmc was built: %s\n"
                  : "nnmc: compiling the runtime for these flags, once: %s\n",
           rt);
    if (write_texts(fresh) != 0 || (seeded ? write_seed(fresh) : compile_runtime(fresh, base, nbase)) != 0) {
        free(fresh);
        free(rt);
        return NULL;
    }
    if (rename(fresh, rt) != 0) {
        if (!complete(rt)) { /* a broken entry (files removed by hand): replaced */
            remove_tree(rt);
            if (rename(fresh, rt) != 0) {
                fprintf(stderr, "nnmc: error: %s: cannot make the runtime cache entry: %s\n", rt, strerror(errno));
                free(fresh);
                free(rt);
                return NULL;
            }
        } /* else another build made it meanwhile: the same objects */
    }
    free(fresh);
    return rt;
}

int nnm_build_cached(const NnmProgram *p, const SrcFile *src, const char *prog, char **base,
                     int nbase, char **libs, int nlibs)
{
    char *cache = cache_dir();
    if (!cache)
        return 1;
    char *work = join(cache, "/build-XXXXXX");
    if (!mkdtemp(work)) {
        printf("nnmc: note: no runtime cache at %s (%s): compiling the whole program\n", cache, strerror(errno));
        free(work);
        free(cache);
        return 1;
    }
    int rc = -1;
    char *rt = runtime_objects(cache, work, base, nbase);
    char *model = join(work, "/model.c");
    FILE *f = rt ? fopen(model, "w") : NULL;
    if (rt && !f)
        fprintf(stderr, "nnmc: error: %s: cannot write: %s\n", model, strerror(errno));
    if (f) {
        int bad = nnm_emit_model_part(p, src, f) != 0;
        bad |= fclose(f) != 0;
        if (bad)
            fprintf(stderr, "nnmc: error: %s: cannot write\n", model);
        else {
            enum { N = NNM_BUILD_MAX_ARGS + 80 };
            char *argv[N + 1], *own[80];
            int argc = 0, nown = 0;
            for (; argc < nbase; argc++)
                argv[argc] = base[argc];
            own[nown++] = join3("-I", rt, "/runtime");
            own[nown++] = join3("-I", rt, "/runtime/layers");
            argv[argc++] = own[0];
            argv[argc++] = own[1];
            argv[argc++] = "-o";
            argv[argc++] = (char *)prog;
            argv[argc++] = model;
            for (int i = 0; nnm_runtime_texts[i].name && nown < 80; i++)
                if (emit_is_program_source(i))
                    argv[argc++] = own[nown++] = object_path(rt, i);
            for (int i = 0; i < nlibs && argc < N; i++)
                argv[argc++] = libs[i];
            argv[argc] = NULL;
            rc = nnm_run_printed(argv, model);
            for (int i = 0; i < nown; i++)
                free(own[i]);
        }
    }
    remove_tree(work);
    free(model);
    free(work);
    free(rt);
    free(cache);
    return rc ? -1 : 0;
}
