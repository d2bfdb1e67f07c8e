/**
 * Docker's default capability set for a container's root (moby's
 * `caps.DefaultCapabilities`), without the `CAP_` prefix, lower case as
 * setpriv spells them. Every other capability is dropped from the bounding set.
 */
export const DEFAULT_CAPABILITIES = [
  'chown', 'dac_override', 'fsetid', 'fowner', 'mknod', 'net_raw', 'setgid', 'setuid',
  'setfcap', 'setpcap', 'net_bind_service', 'sys_chroot', 'kill', 'audit_write',
] as const;
