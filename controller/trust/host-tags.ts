// Host tags are granted, not claimed. A host's effective tags come from its
// enrollment token and from operators (and from its own requests once an admin
// approved them); they are what playbooks, blast-radius guards, never-isolate,
// mail-relay exclusions, silences and core severity read. The tags an agent
// puts in its Hello are kept as its inventory and shown as requests: an agent
// that declares itself `never-isolate` is isolated like any other.
import { ValidationError } from '../../proto/validate.ts';

/** The same shape the agent's config allows, so any request can be approved as it was made. */
const TAG_KEY = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_VALUE = 256;
export const MAX_HOST_TAGS = 64;

export function checkTagKey(key: string, field = 'tag key'): string {
  if (!TAG_KEY.test(key)) throw new ValidationError(`${field} ${JSON.stringify(key.slice(0, 80))} is malformed: 1-64 letters, digits, _ . -`);
  return key;
}

export function checkTagValue(key: string, value: string): string {
  if (value.length > MAX_VALUE) throw new ValidationError(`tag ${key} is ${value.length} characters long; at most ${MAX_VALUE} are allowed`);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new ValidationError(`tag ${key} contains control characters`);
  return value;
}

/** The tags an agent asked for (in its Hello) that are not granted as asked. */
export function requestedTags(claimed: Readonly<Record<string, string>>, effective: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(claimed)) if (effective[k] !== v) out[k] = v;
  return out;
}

/** Which requested tags an approval grants: all of them, or the named keys (each must be requested). */
export function tagsToApprove(requested: Readonly<Record<string, string>>, keys: readonly string[], hostId: string): Record<string, string> {
  if (keys.length === 0) {
    if (Object.keys(requested).length === 0) throw new ValidationError(`host '${hostId}' requests no tags that are not already granted`);
    return { ...requested };
  }
  const out: Record<string, string> = {};
  for (const k of keys) {
    if (!(k in requested)) {
      throw new ValidationError(`host '${hostId}' does not request tag ${JSON.stringify(k)} (requested: ${Object.keys(requested).join(', ') || 'none'})`);
    }
    out[k] = requested[k]!;
  }
  return out;
}

/** Effective tags from their grants. */
export const tagsOf = (grants: readonly { key: string; value: string }[]): Record<string, string> =>
  Object.fromEntries(grants.map((g) => [g.key, g.value]));
