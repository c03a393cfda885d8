# A shell pipeline: fork, execve, pipes, dup2 and wait4 as a shell does them.
echo hello | tr a-z A-Z > upper.txt
cat upper.txt nonexistent.txt 2>/dev/null
exit 0
