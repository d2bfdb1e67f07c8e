/**
 * Docker's default capability set for a container's root (moby's
 * `caps.DefaultCapabilities`): names without the `CAP_` prefix, lower case,
 * with their numbers in linux/capability.h. Every other capability is dropped
 * from the bounding set.
 */
export const DEFAULT_CAPABILITIES = {
  chown: 0, dac_override: 1, fsetid: 4, fowner: 3, mknod: 27, net_raw: 13, setgid: 6, setuid: 7,
  setfcap: 31, setpcap: 8, net_bind_service: 10, sys_chroot: 18, kill: 5, audit_write: 29,
} as const;

export type CapabilityName = keyof typeof DEFAULT_CAPABILITIES;

/** The default set's names, in Docker's order. */
export const DEFAULT_CAPABILITY_NAMES = Object.keys(DEFAULT_CAPABILITIES) as CapabilityName[];
