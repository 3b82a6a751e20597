import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

// One compiler for the process: compiling is the expensive part, checking a schema is cheap.
// addUsedSchema: false — a schema with an `$id` may be checked again (another column, a re-validation).
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: true, addUsedSchema: false });

/** Returns why `schema` is not a usable JSON Schema, or `undefined` when it is. */
export function explainInvalidJsonSchema(schema: unknown): string | undefined {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    return 'output_schema must be a JSON Schema object';
  }
  try {
    if (!ajv.validateSchema(schema)) {
      return `output_schema is not a valid JSON Schema: ${ajv.errorsText(ajv.errors)}`;
    }
    ajv.compile(schema);
    return undefined;
  } catch (error) {
    return `output_schema is not a valid JSON Schema: ${(error as Error).message}`;
  }
}

/** One way a value breaks a schema: where (a JSON Pointer into the value, `''` for the root) and how. */
export interface SchemaViolation {
  pointer: string;
  message: string;
}

// Keyed by the schema's JSON: callers pass fresh copies of a column's schema on every call, so
// identity would never hit. Columns are few, so the map stays small.
const compiledValidators = new Map<string, ValidateFunction>();

/**
 * Checks `value` against `schema` and returns every violation (`[]` when it conforms), with
 * ajv's message made specific where ajv keeps the detail in `params` (the extra property, the
 * allowed values). Throws when the schema cannot be compiled.
 *
 * @example findSchemaViolations({ type: 'number' }, 'x') // [{ pointer: '', message: 'must be number' }]
 */
export function findSchemaViolations(schema: Record<string, unknown>, value: unknown): SchemaViolation[] {
  const validate = compiledValidator(schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => ({
    pointer: error.instancePath,
    message: describeAjvError(error),
  }));
}

function compiledValidator(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiledValidators.get(key);
  if (!validate) {
    // Ajv registers a schema's `$id` on compile and refuses the same id twice, so a copy without
    // it is compiled: the column's schema may already be registered by `explainInvalidJsonSchema`.
    const { $id: _id, ...anonymous } = schema;
    validate = ajv.compile(anonymous);
    compiledValidators.set(key, validate);
  }
  return validate;
}

function describeAjvError(error: ErrorObject): string {
  const message = error.message ?? `fails ${error.keyword}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `must not have the property '${String(params.additionalProperty)}'`;
    case 'enum':
      return `must be one of ${JSON.stringify(params.allowedValues)}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    default:
      return message;
  }
}
