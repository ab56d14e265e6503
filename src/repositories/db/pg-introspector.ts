// What Kysely's migrator asks of a PostgreSQL database (does the schema exist, which tables does it hold),
// answered for imageshare's own schema only. Kysely's PostgresIntrospector reads every column of every schema
// of the database and calls pg_get_serial_sequence and has_schema_privilege on each; a table or schema that
// another service or node changes meanwhile makes that query fail ('column "c" of relation "t" does not
// exist', 42703; invalid_schema_name, 3F000) and a node failed to start so in CI. Nothing in imageshare reads
// columns through introspection, so this introspector lists tables without them.
import {
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type DatabaseMetadataOptions,
  type Kysely,
  type SchemaMetadata,
  type TableMetadata,
  PostgresDialect,
  sql,
} from 'kysely';

class OwnSchemaIntrospector implements DatabaseIntrospector {
  // Kysely's introspector interface types the handle as Kysely<any>.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(private readonly db: Kysely<any>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace`.execute(
      this.db,
    );
    return rows;
  }

  /** Tables and views of the connection's current schema (the configured one, through search_path). */
  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; kind: string }>`
      select c.relname as name, n.nspname as schema, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'v', 'p')`.execute(this.db);
    return rows.map((r) => ({ name: r.name, schema: r.schema, isView: r.kind === 'v', columns: [] }));
  }

  async getMetadata(_options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

/** Kysely's PostgreSQL dialect with an introspector confined to the current schema (see above). */
export class OwnSchemaPostgresDialect extends PostgresDialect {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new OwnSchemaIntrospector(db);
  }
}
