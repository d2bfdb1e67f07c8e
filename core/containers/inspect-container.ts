import type { ContainerRecord } from '../store/container-rows.js';
import { argvOf } from './run-config.js';

/** Go's zero time, as Docker prints a time that never happened. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * One element of `inspect`'s JSON array, as `docker inspect` (20.10) prints a
 * container, for the fields strata has: Id, Created, Path, Args, State, Image,
 * Name (`/name`), RestartCount, Driver, Platform, HostConfig (Binds,
 * NetworkMode, AutoRemove, Runtime), GraphDriver, Mounts (binds), Config (the
 * run configuration; Labels are the image's). `running` is whether its
 * process is alive now (the record's state may lag behind a crash).
 */
export function inspectContainer(c: ContainerRecord, running: boolean, driverName: string, imageLabels: Readonly<Record<string, string>> | null): Record<string, unknown> {
  const argv = argvOf(c.config);
  const status = running ? 'running' : c.state === 'running' ? 'exited' : c.state;
  const binds = c.config.Binds.map((b) => `${b.source}:${b.destination}${b.readonly ? ':ro' : ''}`);
  return {
    Id: c.id,
    Created: c.createdAt,
    Path: argv[0] ?? '',
    Args: argv.slice(1),
    State: {
      Status: status,
      Running: running,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: running ? (c.ownerPid ?? 0) : 0,
      ExitCode: c.exitCode ?? 0,
      Error: '',
      StartedAt: c.startedAt ?? ZERO_TIME,
      FinishedAt: c.finishedAt ?? ZERO_TIME,
    },
    Image: `sha256:${c.image}`,
    Name: `/${c.name}`,
    RestartCount: 0,
    Driver: driverName,
    Platform: 'linux',
    HostConfig: { Binds: binds.length === 0 ? null : binds, NetworkMode: c.config.Network, AutoRemove: c.config.AutoRemove, Runtime: c.config.Runtime },
    GraphDriver: { Data: null, Name: driverName },
    Mounts: c.config.Binds.map((b) => ({ Type: 'bind', Source: b.source, Destination: b.destination, Mode: b.readonly ? 'ro' : '', RW: !b.readonly, Propagation: 'rprivate' })),
    Config: {
      Hostname: c.config.Hostname,
      Domainname: '',
      User: c.config.User,
      AttachStdin: c.config.OpenStdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: c.config.Tty,
      OpenStdin: c.config.OpenStdin,
      StdinOnce: c.config.OpenStdin,
      Env: c.config.Env,
      Cmd: c.config.Cmd,
      Image: c.imageRef,
      Volumes: null,
      WorkingDir: c.config.WorkingDir,
      Entrypoint: c.config.Entrypoint,
      OnBuild: null,
      Labels: imageLabels ?? {},
    },
  };
}
