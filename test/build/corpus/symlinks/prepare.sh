set -e
mkdir t; echo fromtar > t/link2; tar --owner=0 --group=0 -C t -cf arch.tar link2; rm -r t
