set -e
for k in plain gz bz2 xz; do mkdir -p t; echo $k > t/in-$k; done
tar --sort=name --mtime=@0 --owner=0 --group=0 -C t -cf a.tar in-plain
tar --sort=name --mtime=@0 --owner=0 --group=0 -C t -cf - in-gz | gzip -n > a.tgz
tar --sort=name --mtime=@0 --owner=0 --group=0 -C t -cjf a.tbz in-bz2
tar --sort=name --mtime=@0 --owner=0 --group=0 -C t -cJf noext in-xz
rm -r t
echo "not a tar" | gzip -n > text.gz
