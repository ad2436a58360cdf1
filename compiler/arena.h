/* compiler/arena.h — one bump allocator per compilation.
 * Everything the front end builds (tokens' strings, AST, values) lives here
 * and is released at once; nothing in compiler/ frees individual nodes. */
#ifndef NNM_ARENA_H
#define NNM_ARENA_H
#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;
typedef struct {
    ArenaBlock *head;
} Arena;

void *arena_alloc(Arena *a, size_t n); /* zeroed, 16-byte aligned */
char *arena_strndup(Arena *a, const char *s, size_t n);
void arena_free(Arena *a);
/* Room for one more element in an arena array of n elements with capacity
 * *cap (doubling); returns the array, moved when it had to grow. */
void *arena_grow(Arena *a, void *array, int n, int *cap, size_t elem);

#define NEW(a, T) ((T *)arena_alloc((a), sizeof(T)))
#endif
