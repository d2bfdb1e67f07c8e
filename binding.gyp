{
  "targets": [
    {
      "target_name": "strata_sys",
      "sources": ["core/sys/native/strata_sys.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
