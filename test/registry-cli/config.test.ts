import test from 'ava';
import { ErrorCode } from '../../core/errors.js';
import { parseConfigFile } from '../../core/config.js';

test('insecureRegistries takes HOST[:PORT] names; anything else fails naming the key and the value', (t) => {
  t.deepEqual(parseConfigFile('{"insecureRegistries": ["registry.local:5000", "10.0.0.1", "[::1]:5000"]}', 'strata.json').insecureRegistries, ['registry.local:5000', '10.0.0.1', '[::1]:5000']);
  const err = t.throws(() => parseConfigFile('{"insecureRegistries": ["https://registry.local/"]}', 'strata.json'));
  t.is((err as { code?: string }).code, ErrorCode.ECONFIG);
  t.regex(err!.message, /^config: insecureRegistries\.0 = "https:\/\/registry\.local\/" is invalid: expected a registry host/);
});
