/* runtime/files.h — every file nnmc and the programs it builds open, in and
 * out, goes through here, so that each promise is kept in one place:
 *
 *   reading   only regular files are read: a directory, FIFO, device or
 *             socket is refused by name before anything waits on it or
 *             allocates for it (opened O_NONBLOCK, then fstat), and the
 *             caller learns the file's real size to bound what it allocates;
 *   writing   a regular file (or a new one) is written whole or not at all:
 *             PATH.tmp.XXXXXX next to it, flushed, synced and renamed over
 *             it (through a symbolic link, onto the file it names).  The
 *             temporary file is removed on failure, on SIGINT, SIGTERM and
 *             SIGHUP, and, left behind by a SIGKILL, at the next write of the
 *             same target.  Standard output (/dev/stdout) and other character
 *             devices and pipes are written in place, never replaced; a
 *             directory or a block device is refused.  Every write error
 *             (ENOSPC on a full disk or /dev/full) is reported: exit status 1.
 *
 * Messages are "nnmc: error: PATH: what", printed here. */
#ifndef NNM_FILES_H
#define NNM_FILES_H
#include <stdint.h>
#include <stdio.h>

/* Opens path for reading: a file descriptor, or -1 after a message.  With
 * missing_ok, a file that does not exist returns -2 without one.  *size
 * (when not NULL) receives the file's length. */
int nnm_in_fd(const char *path, int missing_ok, int64_t *size);
/* The same as a stdio stream ("rb"); NULL after a message. */
FILE *nnm_in_open(const char *path, int64_t *size);
/* The whole file in a new buffer (NUL-terminated, not counted in *len); a
 * file longer than limit bytes is refused, saying "larger than WHAT".
 * 0; -1 after a message; -2 (no message) when missing_ok and it is missing. */
int nnm_read_file(const char *path, int64_t limit, const char *what, int missing_ok, unsigned char **buf,
                  size_t *len);

/* The same, with the message ("PATH: what") put in err instead of printed. */
int nnm_read_file_msg(const char *path, int64_t limit, const char *what, unsigned char **buf, size_t *len,
                      char *err, size_t errsize);
/* The rest of an open descriptor (a pipe, standard input) the same way;
 * size is what is expected (0 when unknown). */
int nnm_read_fd(int fd, int64_t size, const char *path, int64_t limit, const char *what, unsigned char **buf,
                size_t *len);

/* Files written whole or not at all (see above).  nnm_out_open returns the
 * stream to write to, NULL after "nnmc: error: PATH: ..."; *handle is what
 * nnm_out_commit needs.  nnm_out_commit flushes and syncs and renames it into
 * place, or removes it and says why when a write failed (the stream's error
 * flag).  Pass ok = 0 to drop the file for a reason the caller has reported.
 * 0, or -1. */
typedef struct NnmOut NnmOut;
FILE *nnm_out_open(const char *path, NnmOut **handle);
int nnm_out_commit(FILE *f, NnmOut *handle, int ok);

/* A file written in place, as a log is (CSVLogger): "w" or "a" as fopen
 * takes them, but a directory or block device is refused and a FIFO with no
 * reader is an error, not a hang.  NULL after a message. */
FILE *nnm_log_open(const char *path, const char *mode);

/* 1 when a and b name the same file: the same inode when both exist, else
 * the same absolute path once the directories' links are resolved. */
int nnm_same_file(const char *a, const char *b);

/* Tests only: NNM_FAULT=NAME[:N] makes the process kill itself (SIGKILL, or
 * the signal number in NNM_FAULT_SIGNAL) the N-th time (default: the first)
 * it reaches the point of that name; "out-rename" is just before an output
 * is renamed into place. */
void nnm_fault(const char *name);
#endif
