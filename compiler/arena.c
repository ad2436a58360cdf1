/* compiler/arena.c — see arena.h. */
#include "arena.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct ArenaBlock {
    ArenaBlock *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void *arena_alloc(Arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        ArenaBlock *b = nnm_xmalloc(sizeof *b + cap);
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return memset(p, 0, n);
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void arena_free(Arena *a)
{
    for (ArenaBlock *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    a->head = NULL;
}

void *arena_grow(Arena *a, void *array, int n, int *cap, size_t elem)
{
    if (n < *cap)
        return array;
    *cap = *cap ? 2 * *cap : 8;
    void *bigger = arena_alloc(a, elem * (size_t)*cap);
    if (n)
        memcpy(bigger, array, elem * (size_t)n);
    return bigger;
}
