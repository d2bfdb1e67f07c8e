{
  "targets": [
    {
      "target_name": "strata_sys",
      "sources": ["core/sys/native/strata_sys.c", "core/sys/native/strata_scan.c", "core/sys/native/strata_dir_scan.c", "core/sys/native/strata_scan_ahead.c"],
      "cflags": ["-O2", "-Wall"]
    },
    {
      "target_name": "strata-nsrun",
      "type": "executable",
      "sources": ["core/containers/runner/native/strata_nsrun.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "strata-fuse-overlay",
      "type": "executable",
      "sources": ["drivers/fuse/compat/native/strata_fuse_overlay.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
