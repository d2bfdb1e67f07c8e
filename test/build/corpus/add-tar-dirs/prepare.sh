set -e
mkdir -p t/etc t/newdir; echo x > t/etc/fromtar; echo y > t/newdir/f; chmod 0750 t/etc; chmod 0700 t/newdir
tar --sort=name --mtime=@0 --owner=7 --group=8 --numeric-owner -C t -cf arch.tar etc newdir; rm -r t
