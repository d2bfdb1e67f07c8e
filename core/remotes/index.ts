/**
 * The registry client (OCI distribution protocol), split as containerd's
 * remotes/docker: a resolver (references → manifests), a fetcher (verified,
 * resumable blob downloads), a pusher (mount or chunked upload, manifest last),
 * over one authenticated transport; and the pull/push engine over the
 * `PullSink`/`PushSource` contracts the image store implements.
 */
export { apiHost, manifestReference } from './reference.js';
export * from './media-types.js';
export { DEFAULT_CERTS_DIRS, isLoopbackHost, type HostOptions } from './hosts.js';
export { RegistryTransport, type TransportOptions, type HttpRequest, type HttpResponse } from './transport.js';
export { RegistryClient, type ClientOptions, type CredentialLookup } from './client.js';
export { CredentialStore, defaultAuthFile, type Credentials } from './credentials.js';
export { login, logout } from './login.js';
export { hostPlatform, parsePlatform, formatPlatform, platformMatches, choosePlatform, isAttestation } from './platform.js';
export { Resolver, MANIFEST_LIMIT, type FetchedManifest, type Resolved } from './resolver.js';
export { Fetcher, RESUME_ATTEMPTS } from './fetcher.js';
export { Pusher, CHUNK_SIZE } from './pusher.js';
export { pull, DOWNLOAD_CONCURRENCY, type PullOptions, type PullResult } from './pull.js';
export { push, UPLOAD_CONCURRENCY, type PushOptions, type PushResult } from './push.js';
export { shortId, type PullSink, type PulledImage, type PushSource, type PullProgress, type PushProgress } from './transfer.js';
