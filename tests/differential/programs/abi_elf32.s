# A 32-bit program without libc (the harness assembles it with as --32 and ld -m elf_i386):
# write, open of a missing file, access, getpid, brk, exit_group, with i386's own numbers.
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
        movl $33, %eax          # access(path, R_OK)
        movl $path, %ebx
        movl $4, %ecx
        int $0x80
        movl $20, %eax          # getpid()
        int $0x80
        movl $45, %eax          # brk(NULL)
        xorl %ebx, %ebx
        int $0x80
        movl $252, %eax         # exit_group(0)
        xorl %ebx, %ebx
        int $0x80
