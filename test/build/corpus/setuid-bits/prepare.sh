set -e
chmod 4755 suid; chmod 2755 sgid
mkdir t; cp suid t/tsuid; chmod 4755 t/tsuid
tar --sort=name --mtime=@0 --owner=0 --group=0 -C t -cf arch.tar tsuid; rm -r t
