set -e
mkdir t; echo fromtar > t/link2; tar --sort=name --mtime=@0 --owner=0 --group=0 -C t -cf arch.tar link2; rm -r t
