/**
 * Ages as the docker CLI prints them (go-units HumanDuration): `Less than a
 * second`, `1 second`, `N seconds`, `About a minute`, `N minutes`, `About an
 * hour`, `N hours` (rounded), `N days`, `N weeks`, `N months`, `N years`.
 * Durations are in milliseconds; a negative one (a clock behind) reads as
 * `Less than a second`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

/**
 * The CREATED cell of `docker images`, `docker history`, `docker ps`: the age
 * of `created` at `now` plus ` ago` (`2 minutes ago`). Docker's API carries
 * created times in whole seconds, so `created` is truncated to the second first.
 */
export function createdAgo(created: Date, now: Date = new Date()): string {
  const createdSeconds = Math.floor(created.getTime() / 1000) * 1000;
  return `${humanDuration(now.getTime() - createdSeconds)} ago`;
}

/**
 * `docker history -H=false` CREATED AT: RFC 3339 to the second, in UTC
 * (`2026-11-29T18:49:13Z`; Docker prints the local zone, strata prints UTC).
 */
export function rfc3339Seconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
