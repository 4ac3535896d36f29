/**
 * Append whole columns to a table: typed arrays are copied into the vectors
 * of one reused data chunk, and the chunk is appended when it holds a
 * vector's worth of rows (or at close), so the rows of many small traces go
 * in together. No value passes through JavaScript one by one.
 *
 * The appender hands its rows to the table a whole row group at a time
 * (ROW_GROUP_ROWS). Left to itself, DuckDB's appender does so every 204,800
 * rows, and each hand-over lands in row groups of its own: one full and one
 * two-thirds full, and a checkpoint in between compressed a part-filled one
 * that stayed part-filled. A 10 M-event set's 5.2 M rows made 51 row groups
 * rather than 43, each column of each with its own uncompressed blocks until
 * the checkpoint (a block per column for its validity alone).
 *
 * Each column's typed array must hold the bytes of the table column's type
 * (Int32Array for INTEGER, BigInt64Array or BigUint64Array for BIGINT,
 * TIMESTAMP_NS and UBIGINT, and so on); nothing is converted.
 */
import { DuckDBAppender, DuckDBConnection, DuckDBDataChunk, DuckDBType, DuckDBVector } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';

export type Column =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** Rows in one of DuckDB's row groups (its default size); a whole number of data chunks. */
export const ROW_GROUP_ROWS = 122_880;

export class ColumnAppender {
  /** Rows per data chunk: DuckDB's vector size. */
  static readonly rowsPerChunk = DuckDBVector.standardSize();

  private readonly chunk: DuckDBDataChunk;
  private readonly vectors: duckdb.Vector[];
  /** Rows in the chunk not yet appended. */
  private filled = 0;
  /** Rows appended since the appender last handed its rows to the table. */
  private unflushed = 0;

  private constructor(private readonly appender: DuckDBAppender) {
    const types: DuckDBType[] = [];
    for (let i = 0; i < appender.columnCount; i++) types.push(appender.columnType(i));
    this.chunk = DuckDBDataChunk.create(types);
    this.vectors = types.map((_, i) => duckdb.data_chunk_get_vector(this.chunk.chunk, i));
  }

  static async create(connection: DuckDBConnection, table: string): Promise<ColumnAppender> {
    return new ColumnAppender(await connection.createAppender(table));
  }

  /** Append rows [from, to) of `columns`, one array per table column in table order. */
  append(columns: readonly Column[], from: number, to: number): void {
    if (columns.length !== this.vectors.length) {
      throw new Error(`append: ${columns.length} columns for a table of ${this.vectors.length}`);
    }
    const step = ColumnAppender.rowsPerChunk;
    for (let start = from; start < to;) {
      const n = Math.min(step - this.filled, to - start);
      for (let c = 0; c < columns.length; c++) {
        const col = columns[c]!;
        const size = col.BYTES_PER_ELEMENT;
        duckdb.copy_data_to_vector(this.vectors[c]!, this.filled * size, col.buffer as ArrayBuffer, col.byteOffset + start * size, n * size);
      }
      this.filled += n;
      start += n;
      if (this.filled === step) this.appendChunk();
    }
  }

  close(): void {
    this.appendChunk();
    this.appender.closeSync();
  }

  /** Append the rows gathered in the chunk so far. */
  private appendChunk(): void {
    if (this.filled === 0) return;
    duckdb.data_chunk_set_size(this.chunk.chunk, this.filled);
    this.appender.appendDataChunk(this.chunk);
    this.unflushed += this.filled;
    this.filled = 0;
    if (this.unflushed >= ROW_GROUP_ROWS) {
      this.appender.flushSync();
      this.unflushed = 0;
    }
  }
}
