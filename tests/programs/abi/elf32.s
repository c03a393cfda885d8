# A 32-bit program without libc: write, open of a missing file, getpid, exit (i386 numbers).
        .section .rodata
msg:    .ascii "hello from i386\n"
path:   .asciz "/nonexistent-i386-elf"
        .text
        .globl _start
_start:
        movl $4, %eax           # write(1, msg, 16)
        movl $1, %ebx
        movl $msg, %ecx
        movl $16, %edx
        int $0x80
        movl $5, %eax           # open(path, O_RDONLY)
        movl $path, %ebx
        xorl %ecx, %ecx
        xorl %edx, %edx
        int $0x80
        movl $20, %eax          # getpid()
        int $0x80
        movl $252, %eax         # exit_group(0)
        xorl %ebx, %ebx
        int $0x80
