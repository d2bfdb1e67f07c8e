import { ErrorCode, StrataError } from '../errors.js';
import { RegistryClient } from './client.js';
import type { CredentialStore, Credentials } from './credentials.js';
import { apiHost } from './reference.js';
import type { TransportOptions } from './transport.js';

/**
 * `login REGISTRY`: checks `credentials` against the registry (GET /v2/ through
 * its challenge, Basic or a token for no scope) and only then stores them under
 * `registry` (`HOST[:PORT]`, as references spell it). Fails with EAUTH when the
 * registry refuses them (nothing is stored), ENETWORK, EREGISTRY; EINVALID on an
 * empty user name or password. The password never appears in a message.
 */
export async function login(registry: string, credentials: Credentials, store: CredentialStore, options: TransportOptions = {}): Promise<void> {
  if (credentials.username === '' || credentials.password === '') throw new StrataError(ErrorCode.EINVALID, `login ${registry}: the user name and password must not be empty`);
  if (credentials.username.includes(':')) throw new StrataError(ErrorCode.EINVALID, `login ${registry}: a user name cannot contain ":"`);
  const client = new RegistryClient({ ...options, credentials: async () => credentials });
  try {
    await client.ping(apiHost(registry));
  } finally {
    client.close();
  }
  await store.set(registry, credentials);
}

/** `logout REGISTRY`: removes the stored credentials; false when there were none in strata's file. */
export function logout(registry: string, store: CredentialStore): Promise<boolean> {
  return store.remove(registry);
}
