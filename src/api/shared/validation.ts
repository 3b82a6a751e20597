import type { z } from 'zod';

/**
 * FastAPI's `HTTPValidationError` from zod issues: `{loc, msg, type}` per problem, in pydantic's
 * vocabulary, so clients written against the vendors' FastAPI services parse our 422s unchanged.
 */
export interface ValidationDetail {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export type LocRoot = 'body' | 'query' | 'path' | 'header';

const TYPE_NAMES: Record<string, [type: string, noun: string]> = {
  string: ['string_type', 'a valid string'],
  number: ['float_type', 'a valid number'],
  int: ['int_type', 'a valid integer'],
  boolean: ['bool_type', 'a valid boolean'],
  array: ['list_type', 'a valid list'],
  object: ['dict_type', 'a valid dictionary'],
  record: ['dict_type', 'a valid dictionary'],
};

function quoteList(values: readonly unknown[]): string {
  const quoted = values.map((value) => (typeof value === 'string' ? `'${value}'` : JSON.stringify(value)));
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

function isMissing(issue: z.core.$ZodIssue, input: unknown): boolean {
  if (issue.code !== 'invalid_type') return false;
  const value = issue.path.length === 0 ? input : valueAt(input, issue.path);
  return value === undefined || (issue.path.length === 0 && value === null);
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function toDetail(issue: z.core.$ZodIssue, root: LocRoot, input: unknown): ValidationDetail[] {
  const loc = [root, ...issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part))];
  switch (issue.code) {
    case 'invalid_type': {
      if (isMissing(issue, input)) return [{ loc, msg: 'Field required', type: 'missing' }];
      const received = valueAt(input, issue.path);
      if (issue.expected === 'number' && typeof received === 'string') {
        return [
          {
            loc,
            msg: 'Input should be a valid number, unable to parse string as a number',
            type: 'float_parsing',
          },
        ];
      }
      const [type, noun] = TYPE_NAMES[issue.expected] ?? [
        `${issue.expected}_type`,
        `a valid ${issue.expected}`,
      ];
      return [{ loc, msg: `Input should be ${noun}`, type }];
    }
    case 'invalid_value':
      return [
        {
          loc,
          msg: `Input should be ${quoteList(issue.values)}`,
          type: issue.values.length === 1 ? 'literal_error' : 'enum',
        },
      ];
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        loc: [...loc, key],
        msg: 'Extra inputs are not permitted',
        type: 'extra_forbidden',
      }));
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') {
        return [
          {
            loc,
            msg: `String should have at least ${min} character${min === 1 ? '' : 's'}`,
            type: 'string_too_short',
          },
        ];
      }
      if (issue.origin === 'array' || issue.origin === 'set') {
        return [
          {
            loc,
            msg: `List should have at least ${min} item${min === 1 ? '' : 's'} after validation`,
            type: 'too_short',
          },
        ];
      }
      return issue.inclusive === false
        ? [{ loc, msg: `Input should be greater than ${min}`, type: 'greater_than' }]
        : [{ loc, msg: `Input should be greater than or equal to ${min}`, type: 'greater_than_equal' }];
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') {
        return [
          {
            loc,
            msg: `String should have at most ${max} character${max === 1 ? '' : 's'}`,
            type: 'string_too_long',
          },
        ];
      }
      if (issue.origin === 'array' || issue.origin === 'set') {
        return [
          {
            loc,
            msg: `List should have at most ${max} item${max === 1 ? '' : 's'} after validation`,
            type: 'too_long',
          },
        ];
      }
      return issue.inclusive === false
        ? [{ loc, msg: `Input should be less than ${max}`, type: 'less_than' }]
        : [{ loc, msg: `Input should be less than or equal to ${max}`, type: 'less_than_equal' }];
    }
    case 'invalid_format':
      if (issue.format === 'uuid' || issue.format === 'guid') {
        return [{ loc, msg: 'Input should be a valid UUID', type: 'uuid_parsing' }];
      }
      if (issue.format === 'regex') return [{ loc, msg: issue.message, type: 'string_pattern_mismatch' }];
      return [{ loc, msg: issue.message, type: 'value_error' }];
    case 'invalid_union': {
      if (issue.discriminator) {
        // zod already points the issue at the discriminator field.
        const tagPath =
          issue.path.at(-1) === issue.discriminator ? issue.path : [...issue.path, issue.discriminator];
        const tagLoc = [root, ...tagPath.map((part) => (typeof part === 'symbol' ? String(part) : part))];
        const received = valueAt(input, tagPath);
        if (received === undefined) return [{ loc: tagLoc, msg: 'Field required', type: 'missing' }];
        return [
          {
            loc: tagLoc,
            msg: `Input tag ${JSON.stringify(received)} found using '${issue.discriminator}' does not match any of the expected tags`,
            type: 'union_tag_invalid',
          },
        ];
      }
      // A plain union: report the errors of the closest alternative.
      const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a), issue.errors[0] ?? []);
      return best.length > 0
        ? best.flatMap((inner) => toDetail({ ...inner, path: [...issue.path, ...inner.path] }, root, input))
        : [{ loc, msg: issue.message, type: 'value_error' }];
    }
    case 'not_multiple_of':
      return [{ loc, msg: `Input should be a multiple of ${String(issue.divisor)}`, type: 'multiple_of' }];
    default:
      return [{ loc, msg: issue.message, type: 'value_error' }];
  }
}

/** Every issue of a failed parse as FastAPI validation details, located under `root`. */
export function zodErrorToDetails(error: z.ZodError, root: LocRoot, input: unknown): ValidationDetail[] {
  return error.issues.flatMap((issue) => toDetail(issue, root, input));
}
