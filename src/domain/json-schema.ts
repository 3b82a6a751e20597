import { Ajv } from 'ajv';

// One compiler for the process: compiling is the expensive part, checking a schema is cheap.
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: true });

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
