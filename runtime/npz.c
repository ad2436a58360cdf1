/* runtime/npz.c — see npz.h.  Zip layout (APPNOTE): for each member a local
 * header, the data; then the central directory and its end record. */
#include "npz.h"
#include "files.h"
#include "layer.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static unsigned get16(const unsigned char *p) { return p[0] | (unsigned)p[1] << 8; }
static uint32_t get32(const unsigned char *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The .npy v1.0 header: magic, version, length, then a Python dict padded
 * with spaces so the data starts at a multiple of 64 bytes. */
static size_t npy_header(char *buf, const NnmShape *s)
{
    char dict[256], dims[160] = "";
    size_t o = 0;
    for (int i = 0; i < s->rank; i++)
        o += (size_t)snprintf(dims + o, sizeof dims - o, "%lld,%s", (long long)s->dim[i],
                              i + 1 < s->rank ? " " : "");
    if (s->rank > 1)
        dims[o - 1] = 0; /* "(784, 512)" but "(512,)" */
    int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", dims);
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    put16((unsigned char *)buf + 8, (unsigned)(n + pad + 1));
    memcpy(buf + 10, dict, (size_t)n);
    memset(buf + 10 + n, ' ', pad);
    buf[10 + n + pad] = '\n';
    return total + pad;
}

int npy_write(const char *path, const NnmShape *shape, const float *data)
{
    char head[512];
    NnmOut *tmp;
    FILE *f = nnm_out_open(path, &tmp);
    if (!f)
        return -1;
    size_t hl = npy_header(head, shape), n = (size_t)shape_size(shape);
    if (fwrite(head, 1, hl, f) == hl)
        fwrite(data, sizeof *data, n, f);
    return nnm_out_commit(f, tmp, 1); /* a failed write sets the stream's error flag */
}

int npz_write(const char *path, const NpzArray *arrays, int n)
{
    NnmOut *tmp;
    FILE *f = nnm_out_open(path, &tmp);
    if (!f)
        return -1;
    unsigned char *central = nnm_xmalloc((size_t)n * (46 + 300) + 22);
    size_t clen = 0;
    uint64_t off = 0;
    int ok = 1;
    for (int i = 0; i < n && ok; i++) {
        const NpzArray *a = &arrays[i];
        char name[300], head[512];
        int nl = snprintf(name, sizeof name, "%s.npy", a->name);
        size_t hl = npy_header(head, &a->shape);
        uint64_t dbytes = (uint64_t)shape_size(&a->shape) * 4;
        uint64_t size = hl + dbytes;
        if (size > 0xfffffffeu || off > 0xfffffffeu) {
            fprintf(stderr, "nnmc: error: %s: weights too large for a zip without ZIP64\n", path);
            ok = 0;
            break;
        }
        uLong crc = crc32(0L, Z_NULL, 0);
        crc = crc32(crc, (const Bytef *)head, (uInt)hl);
        crc = crc32_z(crc, (const Bytef *)a->data, (z_size_t)dbytes);
        unsigned char lh[30] = {0};
        put32(lh, 0x04034b50); /* the local header, as APPNOTE lays it out */
        put16(lh + 4, 20);
        put16(lh + 8, 0);      /* stored */
        put16(lh + 10, 0);     /* time 00:00 */
        put16(lh + 12, 0x21);  /* date 1980-01-01 */
        put32(lh + 14, (uint32_t)crc);
        put32(lh + 18, (uint32_t)size);
        put32(lh + 22, (uint32_t)size);
        put16(lh + 26, (unsigned)nl);
        unsigned char *c = central + clen;
        memset(c, 0, 46);
        put32(c, 0x02014b50);
        put16(c + 4, 20);
        put16(c + 6, 20);
        put16(c + 14, 0x21);
        put32(c + 16, (uint32_t)crc);
        put32(c + 20, (uint32_t)size);
        put32(c + 24, (uint32_t)size);
        put16(c + 28, (unsigned)nl);
        put32(c + 42, (uint32_t)off);
        memcpy(c + 46, name, (size_t)nl);
        clen += 46 + (size_t)nl;
        ok = fwrite(lh, 1, 30, f) == 30 && fwrite(name, 1, (size_t)nl, f) == (size_t)nl &&
             fwrite(head, 1, hl, f) == hl && fwrite(a->data, 1, dbytes, f) == dbytes;
        off += 30 + (uint64_t)nl + size;
    }
    if (ok) {
        unsigned char *e = central + clen;
        memset(e, 0, 22);
        put32(e, 0x06054b50);
        put16(e + 8, (unsigned)n);
        put16(e + 10, (unsigned)n);
        put32(e + 12, (uint32_t)clen);
        put32(e + 16, (uint32_t)off);
        ok = fwrite(central, 1, clen + 22, f) == clen + 22;
    }
    free(central);
    /* ok is 0 after a reported problem or a failed write, which the
     * stream's error flag tells nnm_out_commit about */
    return nnm_out_commit(f, tmp, ok || ferror(f));
}

/* ---- reading ----------------------------------------------------------- */

struct NpzFile {
    char *path;
    unsigned char *buf;
    size_t size;
    uint32_t cdir, nent;
};

static int bad(const char *path, const char *msg)
{
    fprintf(stderr, "nnmc: error: %s: %s\n", path, msg);
    return -1;
}

NpzFile *npz_open(const char *path)
{
    unsigned char *buf;
    size_t len;
    if (nnm_read_file(path, (int64_t)nnm_memory_limit(), "what this process may allocate", 0, &buf, &len))
        return NULL;
    NpzFile *z = nnm_xcalloc(1, sizeof *z);
    z->path = nnm_xstrdup(path);
    z->buf = buf;
    z->size = len;
    /* find the end-of-central-directory record (may be followed by a comment) */
    long e = -1;
    for (long i = (long)z->size - 22; i >= 0 && i >= (long)z->size - 22 - 65535; i--)
        if (get32(z->buf + i) == 0x06054b50) {
            e = i;
            break;
        }
    if (e < 0) {
        bad(path, "not a .npz file (no zip directory found)");
        npz_close(z);
        return NULL;
    }
    z->nent = get16(z->buf + e + 10);
    z->cdir = get32(z->buf + e + 16);
    if ((uint64_t)z->cdir + get32(z->buf + e + 12) > (uint64_t)e) {
        bad(path, "corrupt zip directory");
        npz_close(z);
        return NULL;
    }
    return z;
}

void npz_close(NpzFile *z)
{
    if (!z)
        return;
    free(z->buf);
    free(z->path);
    free(z);
}

/* The .npy header's dict, parsed as the Python literal it is:
 * {'descr': '<f4', 'fortran_order': False, 'shape': (784, 512), } with any
 * spacing, either quote, the keys in any order and a trailing comma.  Returns
 * NULL, or what is wrong. */
typedef struct {
    char descr[16];
    int fortran;
    NnmShape shape; /* rank -1: more dimensions than nnmc has */
} NpyHeader;

static void skip_ws(const char **p)
{
    while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r')
        (*p)++;
}

/* After an item of a tuple or dict: a comma (consumed), or its closing
 * bracket (left for the caller); 0 for anything else. */
static int item_end(const char **p, char close)
{
    skip_ws(p);
    if (**p == ',') {
        (*p)++;
        return 1;
    }
    return **p == close;
}

static int py_string(const char **p, char *out, size_t size)
{
    char q = **p;
    if (q != '\'' && q != '"')
        return -1;
    size_t n = 0;
    for ((*p)++; **p && **p != q; (*p)++) {
        if (**p == '\\' || n + 1 >= size)
            return -1;
        out[n++] = **p;
    }
    if (**p != q)
        return -1;
    (*p)++;
    out[n] = 0;
    return 0;
}

static const char *npy_dict(const char *p, NpyHeader *h)
{
    int seen = 0; /* bits: descr, fortran_order, shape */
    skip_ws(&p);
    if (*p++ != '{')
        return "its header is not a Python dict";
    for (;;) {
        skip_ws(&p);
        if (*p == '}')
            break;
        char key[32];
        if (py_string(&p, key, sizeof key))
            return "its header has a key that is not a string";
        skip_ws(&p);
        if (*p++ != ':')
            return "its header is not a Python dict";
        skip_ws(&p);
        if (!strcmp(key, "descr")) {
            if (py_string(&p, h->descr, sizeof h->descr))
                return "its header's 'descr' is not a string";
            seen |= 1;
        } else if (!strcmp(key, "fortran_order")) {
            if (!strncmp(p, "True", 4))
                h->fortran = 1, p += 4;
            else if (!strncmp(p, "False", 5))
                h->fortran = 0, p += 5;
            else
                return "its header's 'fortran_order' is neither True nor False";
            seen |= 2;
        } else if (!strcmp(key, "shape")) {
            if (*p++ != '(')
                return "its header's 'shape' is not a tuple";
            h->shape.rank = 0;
            for (;;) {
                skip_ws(&p);
                if (*p == ')')
                    break;
                if (*p < '0' || *p > '9')
                    return "its header's 'shape' is not a tuple of sizes";
                int64_t v = 0;
                for (; *p >= '0' && *p <= '9'; p++) {
                    if (v > (INT64_MAX - 9) / 10)
                        return "its header's 'shape' has a size too large";
                    v = v * 10 + (*p - '0');
                }
                if (*p == 'L') /* Python 2's long */
                    p++;
                if (h->shape.rank >= 0 && h->shape.rank < NNM_MAX_RANK)
                    h->shape.dim[h->shape.rank++] = v;
                else
                    h->shape.rank = -1;
                if (!item_end(&p, ')'))
                    return "its header's 'shape' is not a tuple of sizes";
            }
            p++;
            seen |= 4;
        } else {
            return "its header has a key other than 'descr', 'fortran_order' and 'shape'";
        }
        if (!item_end(&p, '}'))
            return "its header is not a Python dict";
    }
    p++;
    skip_ws(&p);
    if (*p)
        return "its header has text after the dict";
    if (seen != 7)
        return "its header lacks 'descr', 'fortran_order' or 'shape'";
    return NULL;
}

static void shape_text(char *buf, size_t size, const NnmShape *s)
{
    int o = snprintf(buf, size, "(");
    for (int i = 0; i < s->rank && i < NNM_MAX_RANK; i++)
        o += snprintf(buf + o, size - (size_t)o, "%lld%s", (long long)s->dim[i],
                      s->rank == 1 ? "," : i + 1 < s->rank ? ", " : "");
    snprintf(buf + o, size - (size_t)o, ")");
}

/* Checks an .npy member against the shape the model needs. */
static int parse_npy(NpzFile *z, const char *name, const unsigned char *p, size_t n,
                     const NnmShape *want, size_t *data_off)
{
    char msg[512];
    if (n < 10 || memcmp(p, "\x93NUMPY", 6) != 0)
        return bad(z->path, "a member is not a .npy array");
    size_t hl, ho;
    if (p[6] == 1) {
        hl = get16(p + 8);
        ho = 10;
    } else {
        if (n < 12)
            return bad(z->path, "truncated .npy header");
        hl = get32(p + 8);
        ho = 12;
    }
    if (ho + hl > n)
        return bad(z->path, "truncated .npy header");
    char *h = nnm_xmalloc(hl + 1);
    memcpy(h, p + ho, hl);
    h[hl] = 0;
    NpyHeader nh = {"", 0, {0, {0}}};
    const char *why = strlen(h) == hl ? npy_dict(h, &nh) : "its header holds a NUL byte";
    free(h);
    if (why) {
        snprintf(msg, sizeof msg, "array '%s': %s", name, why);
        return bad(z->path, msg);
    }
    if (strcmp(nh.descr, "<f4")) {
        snprintf(msg, sizeof msg, "array '%s' is not float32 ('<f4'); nnmc reads float32 weights", name);
        return bad(z->path, msg);
    }
    if (nh.fortran) {
        snprintf(msg, sizeof msg, "array '%s' is in Fortran order; save it in C order", name);
        return bad(z->path, msg);
    }
    int same = nh.shape.rank == want->rank;
    for (int i = 0; same && i < nh.shape.rank; i++)
        same = nh.shape.dim[i] == want->dim[i];
    if (!same) {
        char a[96], b[96];
        shape_text(a, sizeof a, want);
        shape_text(b, sizeof b, &nh.shape);
        snprintf(msg, sizeof msg, "array '%s' has shape %s but the model needs %s", name,
                 nh.shape.rank < 0 ? "(more than 4 dimensions)" : b, a);
        return bad(z->path, msg);
    }
    *data_off = ho + hl;
    if (*data_off + (size_t)shape_size(want) * 4 != n) {
        snprintf(msg, sizeof msg, "array '%s' has %zu data bytes, expected %lld", name,
                 n - *data_off, (long long)shape_size(want) * 4);
        return bad(z->path, msg);
    }
    return 0;
}

int npz_read(NpzFile *z, const char *name, const NnmShape *shape, float *out)
{
    char want[300], msg[400];
    snprintf(want, sizeof want, "%s.npy", name);
    size_t wl = strlen(want);
    size_t p = z->cdir;
    for (uint32_t i = 0; i < z->nent; i++) {
        if (p + 46 > z->size || get32(z->buf + p) != 0x02014b50)
            return bad(z->path, "corrupt zip directory");
        unsigned method = get16(z->buf + p + 10);
        uint32_t csize = get32(z->buf + p + 20), usize = get32(z->buf + p + 24);
        unsigned nl = get16(z->buf + p + 28), xl = get16(z->buf + p + 30), cl = get16(z->buf + p + 32);
        uint32_t loff = get32(z->buf + p + 42);
        if (p + 46 + nl > z->size)
            return bad(z->path, "corrupt zip directory");
        if (nl == wl && memcmp(z->buf + p + 46, want, wl) == 0) {
            if ((uint64_t)loff + 30 > z->size || get32(z->buf + loff) != 0x04034b50)
                return bad(z->path, "corrupt zip member header");
            uint64_t doff = (uint64_t)loff + 30 + get16(z->buf + loff + 26) + get16(z->buf + loff + 28);
            if (doff + csize > z->size)
                return bad(z->path, "truncated zip member");
            const unsigned char *data = z->buf + doff;
            unsigned char *plain = NULL;
            /* a member is its .npy header and the floats of its shape: a
             * larger declared size is refused before anything is inflated */
            if ((uint64_t)usize > (uint64_t)shape_size(shape) * 4 + ((uint64_t)1 << 20)) {
                snprintf(msg, sizeof msg, "array '%s' declares %lu bytes, more than its shape needs", name,
                         (unsigned long)usize);
                return bad(z->path, msg);
            }
            if (method == 8) {
                plain = nnm_xmalloc((size_t)usize + 1);
                z_stream s;
                memset(&s, 0, sizeof s);
                inflateInit2(&s, -MAX_WBITS);
                s.next_in = (Bytef *)data;
                s.avail_in = csize;
                s.next_out = plain;
                s.avail_out = usize;
                int r = inflate(&s, Z_FINISH);
                inflateEnd(&s);
                if (r != Z_STREAM_END || s.total_out != usize) {
                    free(plain);
                    return bad(z->path, "corrupt compressed member");
                }
                data = plain;
            } else if (method != 0 || csize != usize) {
                return bad(z->path, "unsupported zip compression method");
            }
            uLong crc = crc32(crc32(0L, Z_NULL, 0), data, usize);
            if (crc != get32(z->buf + p + 16)) {
                free(plain);
                snprintf(msg, sizeof msg, "array '%s' fails its CRC check (corrupt file)", name);
                return bad(z->path, msg);
            }
            size_t off = 0;
            int r = parse_npy(z, name, data, usize, shape, &off);
            if (r == 0)
                memcpy(out, data + off, (size_t)shape_size(shape) * 4);
            free(plain);
            return r;
        }
        p += 46 + (size_t)nl + xl + cl;
    }
    snprintf(msg, sizeof msg, "has no array '%s'", name);
    return bad(z->path, msg);
}
