/**
 * Append whole columns to a table: typed arrays are copied into the vectors
 * of one reused data chunk, a vector's worth of rows at a time, and the chunk
 * is appended. No value passes through JavaScript one by one.
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

export class ColumnAppender {
  /** Rows per data chunk: DuckDB's vector size. */
  static readonly rowsPerChunk = DuckDBVector.standardSize();

  private readonly chunk: DuckDBDataChunk;
  private readonly vectors: duckdb.Vector[];

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
    for (let start = from; start < to; start += step) {
      const n = Math.min(step, to - start);
      for (let c = 0; c < columns.length; c++) {
        const col = columns[c]!;
        const size = col.BYTES_PER_ELEMENT;
        duckdb.copy_data_to_vector(this.vectors[c]!, 0, col.buffer as ArrayBuffer, col.byteOffset + start * size, n * size);
      }
      duckdb.data_chunk_set_size(this.chunk.chunk, n);
      this.appender.appendDataChunk(this.chunk);
    }
  }

  /** Hand what is buffered to the table. */
  flush(): void {
    this.appender.flushSync();
  }

  close(): void {
    this.appender.closeSync();
  }
}
