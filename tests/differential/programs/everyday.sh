# Everyday commands a learner traces first: each one's calls, as strace shows them.
echo hello > file.txt
ls -la . > /dev/null
id > /dev/null
uname -a > /dev/null
stat file.txt > /dev/null
stat -f . > /dev/null
cp file.txt copy.txt
tar cf archive.tar file.txt copy.txt
tar tf archive.tar > /dev/null
