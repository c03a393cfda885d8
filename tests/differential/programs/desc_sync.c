/* fsync, fdatasync, sync_file_range. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

int main(void) {
    int fd = open("synced", O_WRONLY | O_CREAT, 0600);
    write(fd, "data", 4);
    fsync(fd);
    fdatasync(fd);
    sync_file_range(fd, 0, 4, SYNC_FILE_RANGE_WRITE);
    sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
    fsync(77);
    close(fd);
    return 0;
}
