/* runtime/files.c — see files.h.
 *
 * Only POSIX.1-2008 is used: the programs nnmc emits carry this file too. */
#include "files.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where the readers' messages go: stderr, or a caller's buffer (the
 * compiler reports them at the line that names the file). */
static char *sink;
static size_t sink_size;

static int say(const char *path, const char *what)
{
    if (sink)
        snprintf(sink, sink_size, "%s: %s", path, what);
    else
        fprintf(stderr, "nnmc: error: %s: %s\n", path, what);
    return -1;
}

static int say_errno(const char *path, const char *doing, int err)
{
    char msg[300];
    snprintf(msg, sizeof msg, "%s: %s", doing, strerror(err));
    return say(path, msg);
}

/* What a file that is not a regular one is, for messages. */
static const char *kind_of(mode_t m)
{
    return S_ISDIR(m)    ? "is a directory"
           : S_ISFIFO(m) ? "is a FIFO (a named pipe), not a regular file"
           : S_ISCHR(m)  ? "is a character device, not a regular file"
           : S_ISBLK(m)  ? "is a block device, not a regular file"
           : S_ISSOCK(m) ? "is a socket, not a regular file"
                         : "is not a regular file";
}

static void blocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

/* ---- reading ----------------------------------------------------------------- */

int nnm_in_fd(const char *path, int missing_ok, int64_t *size)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (missing_ok && errno == ENOENT)
            return -2;
        return say_errno(path, "cannot open", errno);
    }
    struct stat sb;
    if (fstat(fd, &sb)) {
        int err = errno;
        close(fd);
        return say_errno(path, "cannot read", err);
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return say(path, kind_of(sb.st_mode));
    }
    blocking(fd);
    if (size)
        *size = (int64_t)sb.st_size;
    return fd;
}

FILE *nnm_in_open(const char *path, int64_t *size)
{
    int fd = nnm_in_fd(path, 0, size);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        say_errno(path, "cannot open", errno);
        close(fd);
    }
    return f;
}

int nnm_read_fd(int fd, int64_t size, const char *path, int64_t limit, const char *what, unsigned char **buf,
                size_t *len)
{
    *buf = NULL;
    *len = 0;
    char msg[160];
    snprintf(msg, sizeof msg, "is larger than %s", what);
    if (size > limit)
        return say(path, msg);
    /* the size fstat gave, but a file that grows meanwhile is read on, to the limit */
    size_t cap = (size_t)(size > 0 ? size : 4096) + 1, n = 0;
    unsigned char *b = nnm_xmalloc(cap + 1);
    for (;;) {
        if (n == cap) {
            if ((int64_t)cap > limit) {
                free(b);
                return say(path, msg);
            }
            cap = (size_t)NNM_MIN((int64_t)cap * 2, limit + 1);
            b = nnm_xrealloc(b, cap + 1);
        }
        ssize_t got = read(fd, b + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int err = errno;
            free(b);
            return say_errno(path, "cannot read", err);
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return 0;
}

int nnm_read_file_msg(const char *path, int64_t limit, const char *what, unsigned char **buf, size_t *len,
                      char *err, size_t errsize)
{
    sink = err, sink_size = errsize;
    int rc = nnm_read_file(path, limit, what, 0, buf, len);
    sink = NULL;
    return rc;
}

int nnm_read_file(const char *path, int64_t limit, const char *what, int missing_ok, unsigned char **buf,
                  size_t *len)
{
    *buf = NULL;
    *len = 0;
    int64_t size;
    int fd = nnm_in_fd(path, missing_ok, &size);
    if (fd < 0)
        return fd;
    int rc = nnm_read_fd(fd, size, path, limit, what, buf, len);
    close(fd);
    return rc;
}

/* ---- writing ----------------------------------------------------------------- */

struct NnmOut {
    char *path;   /* as the caller named it, for messages */
    char *target; /* what is renamed over: path, or the file its link names */
    char *tmp;    /* NULL: written in place */
    int slot;     /* in live[], or -1 */
};

/* Temporary files being written, for the signal handler to remove.  A slot
 * is set before its file exists and cleared before its name is freed. */
#define LIVE_MAX 16
static char *volatile live[LIVE_MAX];

static void on_signal(int sig)
{
    for (int i = 0; i < LIVE_MAX; i++) {
        char *t = live[i];
        if (t)
            unlink(t);
    }
    /* SA_RESETHAND restored the default action: the signal, raised again,
     * ends the process as it would have */
    raise(sig);
}

static void catch_signals(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < NNM_COUNTOF(sigs); i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) || old.sa_handler != SIG_DFL)
            continue; /* ignored (nohup) or someone else's: left alone */
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

static int is_stdout(const char *path)
{
    return !strcmp(path, "/dev/stdout") || !strcmp(path, "/dev/fd/1") || !strcmp(path, "/proc/self/fd/1");
}

/* Directory and name of a path ("." for a bare name). */
static void split_path(const char *path, char **dir, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        *dir = nnm_xstrdup(".");
        *base = path;
        return;
    }
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    *dir = nnm_xmalloc(n + 1);
    memcpy(*dir, path, n);
    (*dir)[n] = 0;
    *base = slash + 1;
}

#define TMP_SUFFIX ".tmp.XXXXXX"

/* Removes PREFIX.tmp.?????? files in dir that no live writer holds (a
 * writer keeps a lock on its temporary file; a killed one has lost it). */
static void sweep(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    size_t pl = strlen(prefix), sl = strlen(TMP_SUFFIX);
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        if (strlen(name) != pl + sl || memcmp(name, prefix, pl) || memcmp(name + pl, TMP_SUFFIX, 5))
            continue;
        size_t n = strlen(dir) + strlen(name) + 2;
        char *p = nnm_xmalloc(n);
        snprintf(p, n, "%s/%s", dir, name);
        int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        struct stat sb;
        if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
            struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
            if (fcntl(fd, F_GETLK, &lk) == 0 && lk.l_type == F_UNLCK)
                unlink(p);
        }
        if (fd >= 0)
            close(fd);
        free(p);
    }
    closedir(d);
}

static NnmOut *new_out(const char *path)
{
    NnmOut *h = nnm_xcalloc(1, sizeof *h);
    h->path = nnm_xstrdup(path);
    h->slot = -1;
    return h;
}

static void free_out(NnmOut *h)
{
    if (h->slot >= 0)
        live[h->slot] = NULL;
    free(h->tmp);
    free(h->target);
    free(h->path);
    free(h);
}

/* Writing into a device or pipe that exists: opened without O_CREAT or
 * O_TRUNC, and O_NONBLOCK so that a FIFO nobody reads fails (ENXIO) instead
 * of waiting. */
static FILE *open_in_place(NnmOut *h)
{
    int fd = open(h->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENXIO)
            say(h->path, "cannot write: no process reads it");
        else
            say_errno(h->path, "cannot write", errno);
        return NULL;
    }
    blocking(fd);
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        say_errno(h->path, "cannot write", errno);
        close(fd);
    }
    return f;
}

/* The file a chain of symbolic links ends at (a copy of path when it is
 * none), so that rename() replaces that file, not the link. */
static char *follow_links(const char *path)
{
    char *cur = nnm_xstrdup(path);
    for (int hops = 0; hops < 40; hops++) {
        struct stat lsb;
        if (lstat(cur, &lsb) || !S_ISLNK(lsb.st_mode))
            break;
        size_t cap = (size_t)(lsb.st_size > 0 ? lsb.st_size : 255) + 1;
        char *to = nnm_xmalloc(cap + 1);
        ssize_t n = readlink(cur, to, cap);
        if (n < 0 || (size_t)n >= cap) {
            free(to);
            break;
        }
        to[n] = 0;
        if (to[0] != '/' && strchr(cur, '/')) {
            char *dir;
            const char *base;
            split_path(cur, &dir, &base);
            size_t len = strlen(dir) + (size_t)n + 2;
            char *joined = nnm_xmalloc(len);
            snprintf(joined, len, "%s/%s", dir, to);
            free(dir);
            free(to);
            to = joined;
        }
        free(cur);
        cur = to;
    }
    return cur;
}

FILE *nnm_out_open(const char *path, NnmOut **handle)
{
    NnmOut *h = new_out(path);
    *handle = h;
    FILE *f = NULL;
    struct stat sb, lsb;
    int exists = stat(path, &sb) == 0;
    if (is_stdout(path)) {
        fflush(stdout);
        int fd = dup(1);
        f = fd >= 0 ? fdopen(fd, "wb") : NULL;
        if (!f) {
            say_errno(path, "cannot write", errno);
            if (fd >= 0)
                close(fd);
        }
    } else if (exists && (S_ISDIR(sb.st_mode) || S_ISBLK(sb.st_mode))) {
        say(path, kind_of(sb.st_mode));
    } else if (exists && !S_ISREG(sb.st_mode)) {
        f = open_in_place(h);
    } else if (!exists && lstat(path, &lsb) == 0 && S_ISLNK(lsb.st_mode)) {
        say(path, "cannot write: a symbolic link to a file that does not exist");
    } else {
        h->target = exists ? follow_links(path) : nnm_xstrdup(path);
        char *dir;
        const char *base;
        split_path(h->target, &dir, &base);
        /* PATH.tmp.XXXXXX must fit in a file name: a long name is cut */
        long name_max = pathconf(dir, _PC_NAME_MAX);
        if (name_max <= 0 || name_max > 4096)
            name_max = 255;
        size_t keep = strlen(base), room = (size_t)name_max - strlen(TMP_SUFFIX);
        if (keep > room)
            keep = room;
        char *prefix = nnm_xmalloc(keep + 1);
        memcpy(prefix, base, keep);
        prefix[keep] = 0;
        sweep(dir, prefix);
        size_t n = strlen(dir) + keep + strlen(TMP_SUFFIX) + 2;
        h->tmp = nnm_xmalloc(n);
        snprintf(h->tmp, n, "%s/%s%s", dir, prefix, TMP_SUFFIX);
        free(prefix);
        free(dir);
        catch_signals();
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGHUP);
        sigprocmask(SIG_BLOCK, &block, &old);
        for (int i = 0; i < LIVE_MAX && h->slot < 0; i++)
            if (!live[i])
                h->slot = i;
        int fd = mkstemp(h->tmp);
        if (fd >= 0 && h->slot >= 0)
            live[h->slot] = h->tmp;
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (fd < 0) {
            say_errno(path, "cannot write", errno);
        } else {
            struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
            fcntl(fd, F_SETLK, &lk); /* tells sweep() that this one is alive */
            mode_t mode;
            if (exists) {
                mode = sb.st_mode & 07777;
            } else {
                mode = umask(0);
                umask(mode);
                mode = 0666 & ~mode;
            }
            fchmod(fd, mode); /* mkstemp made it 0600 */
            f = fdopen(fd, "wb");
            if (!f) {
                say_errno(path, "cannot write", errno);
                close(fd);
                unlink(h->tmp);
            }
        }
    }
    if (!f) {
        free_out(h);
        *handle = NULL;
    }
    return f;
}

int nnm_out_commit(FILE *f, NnmOut *h, int ok)
{
    int mine = 0; /* a failure here, not the caller's (who has said why) */
    errno = 0;
    /* a write that failed is reported even when the caller gives up for a
     * reason of its own: its error flag is the only trace of it */
    int flushed = fflush(f);
    if (ferror(f) || flushed || (ok && h->tmp && fsync(fileno(f))))
        ok = 0, mine = 1;
    int err = errno;
    if (mine && !err && h->tmp) {
        /* stdio drops a failed write's errno: one more byte into the doomed
         * temporary file tells it again (ENOSPC, EDQUOT, EIO) */
        if (write(fileno(f), "", 1) < 0)
            err = errno;
    }
    if (fclose(f) && ok)
        ok = 0, mine = 1, err = errno;
    if (ok && h->tmp) {
        nnm_fault("out-rename");
        if (rename(h->tmp, h->target))
            ok = 0, mine = 1, err = errno;
    }
    if (!ok) {
        if (mine && err)
            say_errno(h->path, "cannot write", err);
        else if (mine)
            say(h->path, "cannot write: a write failed (is the disk or device full?)");
        if (h->tmp)
            unlink(h->tmp);
    }
    free_out(h);
    return ok ? 0 : -1;
}

FILE *nnm_log_open(const char *path, const char *mode)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && (S_ISDIR(sb.st_mode) || S_ISBLK(sb.st_mode))) {
        say(path, kind_of(sb.st_mode));
        return NULL;
    }
    int flags = O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC | (mode[0] == 'a' ? O_APPEND : O_TRUNC);
    int fd = open(path, flags, 0666);
    if (fd < 0) {
        if (errno == ENXIO)
            say(path, "cannot write: no process reads it");
        else
            say_errno(path, "cannot write", errno);
        return NULL;
    }
    blocking(fd);
    FILE *f = fdopen(fd, mode[0] == 'a' ? "a" : "w");
    if (!f) {
        say_errno(path, "cannot write", errno);
        close(fd);
    }
    return f;
}

int nnm_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea != eb)
        return 0;
    /* neither exists yet: the same name in the same directory */
    char *da, *db;
    const char *na, *nb;
    split_path(a, &da, &na);
    split_path(b, &db, &nb);
    int same = !strcmp(na, nb) && stat(da, &sa) == 0 && stat(db, &sb) == 0 && sa.st_dev == sb.st_dev &&
               sa.st_ino == sb.st_ino;
    if (!same && !strcmp(na, nb))
        same = !strcmp(da, db);
    free(da);
    free(db);
    return same;
}

void nnm_fault(const char *name)
{
    static int count;
    const char *f = getenv("NNM_FAULT");
    if (!f)
        return;
    size_t n = strlen(name);
    if (strncmp(f, name, n) || (f[n] && f[n] != ':'))
        return;
    if (f[n] == ':' && ++count < atoi(f + n + 1))
        return;
    const char *sig = getenv("NNM_FAULT_SIGNAL"); /* SIGKILL unless this says another */
    kill(getpid(), sig && atoi(sig) > 0 ? atoi(sig) : SIGKILL);
}
