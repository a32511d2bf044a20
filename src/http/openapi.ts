import type { OpenAPIObject } from '@nestjs/swagger';
import type { EntityMetadata } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';

/**
 * What the OpenAPI document says beyond the controllers' decorators, in one place:
 * - response schemas of routes that return stored rows, derived from the TypeORM entity metadata
 *   (the entity is the one definition of those fields; `entityRef(ExperimentEntity)` in a
 *   decorator, the component is written here);
 * - the error body, and 401/403/429 on every operation that needs an API key (the guard and the
 *   rate limiter answer those on every such route);
 * - a server entry (the document is served by the service itself, paths are relative to it).
 */
export const ERROR_RESPONSE = 'ErrorResponse';

/** OpenAPI's schema and reference objects, as @nestjs/swagger types them (its root does not export the names). */
type Schemas = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>;
type SchemaOrRef = Schemas[string];
type SchemaObject = Exclude<SchemaOrRef, { $ref: string }>;
type ReferenceObject = Extract<SchemaOrRef, { $ref: string }>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** The component name of an entity's schema: the class name without `Entity`. */
function schemaName(entity: { name: string }): string {
  return entity.name.replace(/Entity$/, '');
}

/** A reference to an entity's schema, for `@ApiOkResponse({ schema: entityRef(X) })`. */
export function entityRef(entity: { name: string }): ReferenceObject {
  return { $ref: `#/components/schemas/${schemaName(entity)}` };
}

/** An entity's schema with extra properties (e.g. an experiment with its jobs). */
export function entityWith(entity: { name: string }, properties: Record<string, SchemaObject | ReferenceObject>): SchemaObject {
  return { allOf: [entityRef(entity), { type: 'object', properties, required: Object.keys(properties) }] };
}

export function arrayOf(items: SchemaObject | ReferenceObject): SchemaObject {
  return { type: 'array', items };
}

/** `{ items, total, limit, offset }` (src/common/pagination.ts) of an entity. */
export function pageOf(items: SchemaObject | ReferenceObject): SchemaObject {
  return {
    type: 'object',
    required: ['items', 'total', 'limit', 'offset'],
    properties: { items: arrayOf(items), total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } },
  };
}

/** The column as JSON sends it (bigint and numeric come out of pg as strings, timestamps as ISO text). */
function columnSchema(column: ColumnMetadata): SchemaObject {
  const type = typeof column.type === 'string' ? column.type : (column.type as { name?: string }).name?.toLowerCase() ?? 'unknown';
  let schema: SchemaObject;
  if (type === 'uuid') schema = { type: 'string', format: 'uuid' };
  else if (['int', 'integer', 'smallint', 'int4'].includes(type)) schema = { type: 'integer' };
  else if (['double precision', 'float', 'real', 'float8'].includes(type)) schema = { type: 'number' };
  else if (type === 'boolean') schema = { type: 'boolean' };
  else if (['timestamptz', 'timestamp', 'date'].includes(type)) schema = { type: 'string', format: 'date-time' };
  else if (type === 'jsonb' || type === 'json') schema = {};
  else schema = { type: 'string' }; // text, bigint, numeric
  if (column.isArray) schema = { type: 'array', items: schema };
  if (column.isNullable && type !== 'jsonb' && type !== 'json') schema.nullable = true;
  return schema;
}

function entitySchema(metadata: EntityMetadata): SchemaObject {
  const properties: Record<string, SchemaObject> = {};
  const required: string[] = [];
  for (const column of metadata.columns) {
    properties[column.propertyName] = columnSchema(column);
    if (!column.isNullable) required.push(column.propertyName);
  }
  return { type: 'object', properties, required };
}

const ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['statusCode', 'message'],
  properties: {
    statusCode: { type: 'integer', example: 403 },
    error: { type: 'string', example: 'Forbidden' },
    message: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], example: 'role viewer may not call this route' },
  },
};

const KEY_RESPONSES: Record<string, string> = {
  '401': 'no API key, or a key that is unknown, revoked or expired',
  '403': 'the key is valid but its role (or campaign list) does not allow this',
  '429': 'over the per-key rate limit (RATE_LIMIT_PER_MINUTE); Retry-After says when to try again',
};

/** Complete Nest's document: servers, the error schema, key responses, and schemas of the entities (`entities`: the database's metadata) it references. */
export function completeDocument(document: OpenAPIObject, entities: readonly EntityMetadata[]): OpenAPIObject {
  if (!document.servers || document.servers.length === 0) document.servers = [{ url: '/', description: 'this service' }];
  document.components ??= {};
  const schemas = (document.components.schemas ??= {});
  schemas[ERROR_RESPONSE] = ERROR_SCHEMA;
  const errorContent = { 'application/json': { schema: { $ref: `#/components/schemas/${ERROR_RESPONSE}` } } };

  // entity schemas, only those referenced (never e.g. the API key rows)
  const text = JSON.stringify(document.paths);
  for (const metadata of entities) {
    const name = schemaName(metadata.target as { name: string });
    if (!schemas[name] && text.includes(`"#/components/schemas/${name}"`)) schemas[name] = entitySchema(metadata);
  }

  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const isPublic = Array.isArray(op.security) && op.security.length === 0;
      if (!isPublic) {
        for (const [code, description] of Object.entries(KEY_RESPONSES)) op.responses[code] ??= { description };
      }
      for (const [code, response] of Object.entries(op.responses)) {
        if (response && /^4\d\d$/.test(code) && !('$ref' in response) && !response.content) response.content = errorContent;
      }
    }
  }
  return document;
}
