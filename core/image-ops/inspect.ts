import type { ContainerConfig, ImageConfig } from '../images/image-config.js';
import { familiarString, parseReference } from '../images/reference.js';
import type { ImageRecord } from '../store/image-rows.js';

/** Docker's container config as `inspect` shows it: every field, with Docker's zero values. */
function fullConfig(config: ContainerConfig | null | undefined): Record<string, unknown> {
  const c = (config ?? {}) as Record<string, unknown>;
  return {
    Hostname: c.Hostname ?? '',
    Domainname: c.Domainname ?? '',
    User: c.User ?? '',
    AttachStdin: c.AttachStdin ?? false,
    AttachStdout: c.AttachStdout ?? false,
    AttachStderr: c.AttachStderr ?? false,
    ...(c.ExposedPorts === undefined ? {} : { ExposedPorts: c.ExposedPorts }),
    Tty: c.Tty ?? false,
    OpenStdin: c.OpenStdin ?? false,
    StdinOnce: c.StdinOnce ?? false,
    Env: c.Env ?? null,
    Cmd: c.Cmd ?? null,
    ...(c.Healthcheck === undefined ? {} : { Healthcheck: c.Healthcheck }),
    ...(c.ArgsEscaped === undefined ? {} : { ArgsEscaped: c.ArgsEscaped }),
    Image: c.Image ?? '',
    Volumes: c.Volumes ?? null,
    WorkingDir: c.WorkingDir ?? '',
    Entrypoint: c.Entrypoint ?? null,
    OnBuild: c.OnBuild ?? null,
    Labels: c.Labels ?? null,
    ...(c.StopSignal === undefined ? {} : { StopSignal: c.StopSignal }),
    ...(c.Shell === undefined ? {} : { Shell: c.Shell }),
  };
}

/**
 * One element of `inspect`'s JSON array, as `docker inspect` prints an image:
 * Id, RepoTags, RepoDigests, Parent, Comment, Created, Container,
 * ContainerConfig, DockerVersion, Author, Config, Architecture, Os, Size,
 * VirtualSize, GraphDriver, RootFS, Metadata. `size` is the bytes of its layers.
 */
export function inspectImage(image: ImageRecord, config: ImageConfig, size: number, driver: { name: string; data: Record<string, string> | null }): Record<string, unknown> {
  const c = config as ImageConfig & Record<string, unknown>;
  return {
    Id: `sha256:${image.id}`,
    RepoTags: image.names.map((n) => familiarString(parseReference(n))),
    RepoDigests: image.repoDigests.map((n) => familiarString(parseReference(n))),
    Parent: image.parent === undefined ? '' : `sha256:${image.parent}`,
    Comment: c.comment ?? c.history?.at(-1)?.comment ?? '',
    Created: c.created ?? '',
    Container: c.container ?? '',
    ContainerConfig: fullConfig(c.container_config as ContainerConfig | undefined),
    DockerVersion: c.docker_version ?? '',
    Author: c.author ?? '',
    Config: fullConfig(c.config),
    Architecture: c.architecture ?? '',
    ...(c.variant === undefined ? {} : { Variant: c.variant }),
    Os: c.os ?? '',
    Size: size,
    VirtualSize: size,
    GraphDriver: { Data: driver.data, Name: driver.name },
    RootFS: { Type: 'layers', Layers: c.rootfs?.diff_ids ?? [] },
    Metadata: { LastTagTime: image.createdAt },
  };
}
