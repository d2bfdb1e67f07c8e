/**
 * The rows `--format` templates see, as Docker's formatter contexts define
 * them (docker/cli cli/command/formatter/{image,container,disk_usage}.go and
 * cli/command/image/formatter_history.go): the same field names, the same
 * strings in them, the same truncation (`trunc` false is `--no-trunc`), the
 * same column titles. Times are printed in UTC (Docker prints the local zone).
 */
import { GoStruct } from './go-value.js';
import type { FormatSource } from './docker-format.js';
import { commandCell } from './container-cells.js';
import { createdAgo, rfc3339Seconds } from './human-duration.js';
import { humanSize, imageSize, reclaimableCell } from './human-size.js';
import { ellipsis, imageIdCell } from './ids.js';

/** Go's time.Time String() of a whole-second Unix time, in UTC: `2026-11-30 00:06:55 +0000 UTC`. */
export function goTimeString(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

export interface ImageRowData {
  /** `sha256:<hex>`. */
  readonly id: string;
  readonly repo: string;
  readonly tag: string;
  readonly digest: string;
  readonly created: Date;
  readonly size: number;
  /** Bytes shared with other images and the containers using it: known to `system df -v` only (else `N/A`). */
  readonly shared?: number;
  readonly containers?: number;
}

/** One image row as Docker's imageContext. */
function imageContext(r: ImageRowData, trunc: boolean): GoStruct {
  return new GoStruct('*formatter.imageContext', {
    Containers: () => (r.containers === undefined ? 'N/A' : String(r.containers)),
    CreatedAt: () => goTimeString(r.created),
    CreatedSince: () => createdAgo(r.created),
    Digest: () => r.digest,
    ID: () => (trunc ? imageIdCell(r.id, false) : r.id),
    Repository: () => r.repo,
    SharedSize: () => (r.shared === undefined ? 'N/A' : humanSize(r.shared)),
    Size: () => imageSize(r.size),
    Tag: () => r.tag,
    UniqueSize: () => (r.shared === undefined ? 'N/A' : humanSize(r.size - r.shared)),
    VirtualSize: () => humanSize(r.size),
  });
}

/** `docker images`: the rows and titles; the default table adds DIGEST with `digests`. */
export function imagesSource(rows: readonly ImageRowData[], trunc: boolean, digests: boolean): FormatSource {
  return {
    rows: rows.map((r) => imageContext(r, trunc)),
    headers: {
      ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT',
      Size: 'SIZE', Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', VirtualSize: 'SIZE',
    },
    defaultTable: digests
      ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
      : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}',
    // Docker's rule: a custom table gets a DIGEST column with `--digests` unless it shows `{{.Digest}}` already.
    adjustFormat: (format) => (format.startsWith('table') && digests && !format.includes('{{.Digest}}') ? `${format}\t{{.Digest}}` : format),
  };
}

export interface ContainerRowData {
  readonly id: string;
  /** The image as the user named it. */
  readonly image: string;
  readonly argv: readonly string[];
  readonly created: Date;
  /** `Up 3 seconds`, `Exited (0) 2 minutes ago`, `Created`. */
  readonly status: string;
  readonly state: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Host paths of its bind mounts. */
  readonly mounts: readonly string[];
  readonly network: string;
  /** Bytes of the image it runs (Docker's SizeRootFs); 0 when not measured (`.Size` is then `0B`). */
  readonly imageSize: number;
}

/** `docker ps`: the rows and titles. */
export function containersSource(rows: readonly ContainerRowData[], trunc: boolean): FormatSource {
  return {
    rows: rows.map((r) => containerContext(r, trunc)),
    headers: {
      ID: 'CONTAINER ID', Names: 'NAMES', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS',
      State: 'STATE', Status: 'STATUS', Size: 'SIZE', Labels: 'LABELS', Mounts: 'MOUNTS', LocalVolumes: 'LOCAL VOLUMES', Networks: 'NETWORKS', Platform: 'PLATFORM',
    },
    defaultTable: 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}',
  };
}

/** One container row as Docker's ContainerContext. */
function containerContext(r: ContainerRowData, trunc: boolean): GoStruct {
  return new GoStruct('*formatter.ContainerContext', {
      Command: () => commandCell(r.argv, !trunc),
      CreatedAt: () => goTimeString(r.created),
      ID: () => (trunc ? r.id.slice(0, 12) : r.id),
      Image: () => r.image,
      Label: (name: unknown) => r.labels[String(name)] ?? '',
      Labels: () => Object.entries(r.labels).map(([k, v]) => `${k}=${v}`).sort().join(','),
      LocalVolumes: () => '0',
      Mounts: () => r.mounts.map((m) => (trunc ? ellipsis(m, 15) : m)).join(','),
      Names: () => r.name,
      Networks: () => r.network,
      Platform: () => null,
      Ports: () => '',
      RunningFor: () => createdAgo(r.created),
      // strata does not measure a container's writable layer: its SizeRw is shown as 0.
      Size: () => (r.imageSize > 0 ? `0B (virtual ${imageSize(r.imageSize)})` : '0B'),
      State: () => r.state,
      Status: () => r.status,
  });
}

export interface HistoryRowData {
  /** `sha256:<hex>` or `<missing>`. */
  readonly id: string;
  /** RFC 3339, or '' when the step has no date. */
  readonly created: string;
  readonly createdBy: string;
  readonly size: number;
  readonly comment: string;
}

/** `docker history`: the rows and titles; `human` is `-H` (the default). */
export function historySource(rows: readonly HistoryRowData[], trunc: boolean, human: boolean): FormatSource {
  const unix = (r: HistoryRowData) => new Date(r.created === '' ? 0 : r.created);
  return {
    rows: rows.map((r) => new GoStruct('*image.historyContext', {
      Comment: () => r.comment,
      CreatedAt: () => rfc3339Seconds(unix(r)),
      CreatedBy: () => (trunc ? ellipsis(r.createdBy.replace(/\t/g, ' '), 45) : r.createdBy.replace(/\t/g, ' ')),
      CreatedSince: () => (!human ? rfc3339Seconds(unix(r)) : unix(r).getTime() <= Date.UTC(2000, 0, 1) ? 'N/A' : createdAgo(unix(r))),
      ID: () => (r.id === '<missing>' ? r.id : imageIdCell(r.id, !trunc)),
      Size: () => (human ? imageSize(r.size) : String(r.size)),
    })),
    headers: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' },
    defaultTable: human
      ? 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}'
      : 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}',
  };
}

export interface DiskUsageRowData {
  readonly type: string;
  readonly total: number;
  readonly active: number;
  readonly size: number;
  readonly reclaimable: number;
}

const DISK_USAGE_TYPES: Readonly<Record<string, string>> = { Images: 'Images', Containers: 'Containers', 'Local Volumes': 'Volumes', 'Build Cache': 'Builder' };

/** `docker system df` (without -v): one row per kind of object. */
export function diskUsageSource(rows: readonly DiskUsageRowData[]): FormatSource {
  return {
    rows: rows.map((r) => new GoStruct(`*formatter.diskUsage${DISK_USAGE_TYPES[r.type] ?? 'Images'}Context`, {
      Active: () => String(r.active),
      Reclaimable: () => reclaimableCell(r.reclaimable, r.size),
      Size: () => humanSize(r.size),
      TotalCount: () => String(r.total),
      Type: () => r.type,
    })),
    headers: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
    defaultTable: 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}',
  };
}

/**
 * `docker system df -v` with a template: one value, Docker's diskUsageContext
 * (`.Images`, `.Containers`, `.Volumes`, `.BuildCache`, lists of the rows
 * `images` and `ps` show, ids in full), the template run once.
 */
export function diskUsageVerboseValue(images: readonly ImageRowData[], containers: readonly ContainerRowData[]): GoStruct {
  return new GoStruct('*formatter.diskUsageContext', {
    Images: images.map((r) => imageContext(r, false)),
    Containers: containers.map((r) => containerContext({ ...r, imageSize: 0 }, false)),
    Volumes: [],
    BuildCache: [],
  }, 'declared');
}
