/* hlt in user mode is a general protection fault: SIGSEGV with si_code SI_KERNEL, si_addr NULL. */
int main(void)
{
    __asm__ volatile("hlt");
    return 0;
}
