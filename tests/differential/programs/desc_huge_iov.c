/* writev with an iovec of SIZE_MAX bytes: the kernel fails it with EINVAL, strace shows the raw length. */
#include <stdint.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void)
{
    static char buf[] = "hello from writev\n";
    struct iovec huge = {buf, SIZE_MAX};
    writev(1, &huge, 1);
    struct iovec two[2] = {{buf, 5}, {buf, SIZE_MAX}};
    writev(1, two, 2);
    struct iovec fine = {buf, sizeof buf - 1};
    writev(1, &fine, 1);
    write(1, buf, SIZE_MAX);
    return 0;
}
