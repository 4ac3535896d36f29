/*
 * uring_fsync PATH N: write 4 KiB and sync it through io_uring N times,
 * alternating IORING_OP_FSYNC with and without IORING_FSYNC_DATASYNC, then one
 * IORING_OP_SYNC_FILE_RANGE. The writes are plain write(2) calls, so the
 * kernel-side recorder sees the write intervals the io_uring syncs close.
 * Prints "fsync F fdatasync D sync_file_range 1" on success.
 */
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int submit_one(struct io_uring *ring, struct io_uring_sqe *sqe)
{
    struct io_uring_cqe *cqe;
    (void)sqe;
    if (io_uring_submit(ring) != 1) return -1;
    if (io_uring_wait_cqe(ring, &cqe) != 0) return -1;
    int res = cqe->res;
    io_uring_cqe_seen(ring, cqe);
    return res;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: uring_fsync PATH N\n");
        return 2;
    }
    int n = atoi(argv[2]);
    int fd = open(argv[1], O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0) { perror(argv[1]); return 1; }
    struct io_uring ring;
    if (io_uring_queue_init(8, &ring, 0) != 0) { fprintf(stderr, "io_uring_queue_init failed\n"); return 1; }
    char buf[4096];
    memset(buf, 'u', sizeof buf);
    int fsyncs = 0, datasyncs = 0;
    for (int i = 0; i < n; i++) {
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) { perror("write"); return 1; }
        struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
        int data = i % 2;
        io_uring_prep_fsync(sqe, fd, data ? IORING_FSYNC_DATASYNC : 0);
        if (submit_one(&ring, sqe) != 0) { fprintf(stderr, "io_uring fsync failed\n"); return 1; }
        if (data) datasyncs++; else fsyncs++;
    }
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    io_uring_prep_sync_file_range(sqe, fd, 4096, 8192, SYNC_FILE_RANGE_WRITE);
    if (submit_one(&ring, sqe) != 0) { fprintf(stderr, "io_uring sync_file_range failed\n"); return 1; }
    io_uring_queue_exit(&ring);
    close(fd);
    printf("fsync %d fdatasync %d sync_file_range 1\n", fsyncs, datasyncs);
    return 0;
}
