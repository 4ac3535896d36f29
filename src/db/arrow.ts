/**
 * Write a query's result as an Arrow IPC file (the format pandas, polars and
 * R read with `read_feather`/`read_ipc`), streaming: DuckDB's data chunks are
 * gathered into record batches of about BATCH_ROWS rows and written as they
 * fill. Fixed-width columns are copied from DuckDB's vectors as bytes (both
 * use little-endian values and LSB-first validity bits), and strings as their
 * UTF-8 bytes, never decoded; anything else (lists, maps, huge integers) is
 * written as JSON text.
 */
import {
  DuckDBEnumType, DuckDBTypeId, JsonDuckDBValueConverter, type DuckDBConnection, type DuckDBDataChunk, type DuckDBType,
} from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import {
  Bool, DateDay, Field, Float32, Float64, Int16, Int32, Int64, Int8, RecordBatch, RecordBatchFileWriter, Schema,
  Struct, TimestampMicrosecond, TimestampMillisecond, TimestampNanosecond, TimestampSecond, Uint16, Uint32,
  Uint64, Uint8, Utf8, makeData, vectorFromArray, type Data, type DataType,
} from 'apache-arrow';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

const BATCH_ROWS = 65_536;

/** An Arrow type, its width in bytes, and the typed array that holds its values. */
type Fixed = { arrow: () => DataType; bytes: number; array: new (length: number) => { buffer: ArrayBufferLike } };

/** DuckDB types whose vectors hold the same bytes as an Arrow column of the paired type. */
const FIXED: Partial<Record<DuckDBTypeId, Fixed>> = {
  [DuckDBTypeId.TINYINT]: { arrow: () => new Int8(), bytes: 1, array: Int8Array },
  [DuckDBTypeId.SMALLINT]: { arrow: () => new Int16(), bytes: 2, array: Int16Array },
  [DuckDBTypeId.INTEGER]: { arrow: () => new Int32(), bytes: 4, array: Int32Array },
  [DuckDBTypeId.BIGINT]: { arrow: () => new Int64(), bytes: 8, array: BigInt64Array },
  [DuckDBTypeId.UTINYINT]: { arrow: () => new Uint8(), bytes: 1, array: Uint8Array },
  [DuckDBTypeId.USMALLINT]: { arrow: () => new Uint16(), bytes: 2, array: Uint16Array },
  [DuckDBTypeId.UINTEGER]: { arrow: () => new Uint32(), bytes: 4, array: Uint32Array },
  [DuckDBTypeId.UBIGINT]: { arrow: () => new Uint64(), bytes: 8, array: BigUint64Array },
  [DuckDBTypeId.FLOAT]: { arrow: () => new Float32(), bytes: 4, array: Float32Array },
  [DuckDBTypeId.DOUBLE]: { arrow: () => new Float64(), bytes: 8, array: Float64Array },
  [DuckDBTypeId.DATE]: { arrow: () => new DateDay(), bytes: 4, array: Int32Array },
  [DuckDBTypeId.TIMESTAMP_S]: { arrow: () => new TimestampSecond('UTC'), bytes: 8, array: BigInt64Array },
  [DuckDBTypeId.TIMESTAMP_MS]: { arrow: () => new TimestampMillisecond('UTC'), bytes: 8, array: BigInt64Array },
  [DuckDBTypeId.TIMESTAMP]: { arrow: () => new TimestampMicrosecond('UTC'), bytes: 8, array: BigInt64Array },
  [DuckDBTypeId.TIMESTAMP_NS]: { arrow: () => new TimestampNanosecond('UTC'), bytes: 8, array: BigInt64Array },
};

/** Write the result of `sql` to `file` as an Arrow IPC file; returns the rows written. */
export async function writeArrow(connection: DuckDBConnection, sql: string, file: string): Promise<number> {
  const result = await connection.stream(sql);
  const names = result.columnNames();
  const types = result.columnTypes();
  const fields = names.map((n, i) => new Field(n, arrowType(types[i]!), true));
  const schema = new Schema(fields);
  const writer = new RecordBatchFileWriter();
  // The file's errors (a full disk) end the pipeline, awaited at the end; until then they
  // are held, and stop the reading.
  const written = pipeline(writer.toNodeStream(), createWriteStream(file));
  let failed = false;
  written.catch(() => (failed = true));
  let pending: DuckDBDataChunk[] = [];
  let pendingRows = 0;
  let rows = 0;
  const flush = () => {
    if (pendingRows === 0) return;
    writer.write(batch(schema, types, pending, pendingRows));
    rows += pendingRows;
    pending = [];
    pendingRows = 0;
  };
  while (!failed) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    pending.push(chunk);
    pendingRows += chunk.rowCount;
    if (pendingRows >= BATCH_ROWS) flush();
  }
  flush();
  if (rows === 0) writer.write(emptyBatch(schema));
  writer.finish();
  await written;
  return rows;
}

function arrowType(t: DuckDBType): DataType {
  if (t.typeId === DuckDBTypeId.BOOLEAN) return new Bool();
  return FIXED[t.typeId]?.arrow() ?? new Utf8();
}

function emptyBatch(schema: Schema): RecordBatch {
  const children = schema.fields.map((f) => makeData({ type: f.type, length: 0, nullCount: 0 } as never) as Data);
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: 0, nullCount: 0, children }));
}

function batch(schema: Schema, types: DuckDBType[], chunks: DuckDBDataChunk[], rows: number): RecordBatch {
  const children = types.map((t, c) => column(schema.fields[c]!.type, t, chunks, c, rows));
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children }));
}

function column(type: DataType, t: DuckDBType, chunks: DuckDBDataChunk[], c: number, rows: number): Data {
  const fixed = FIXED[t.typeId];
  if (fixed) return fixedColumn(type, fixed, chunks, c, rows);
  if (t.typeId === DuckDBTypeId.VARCHAR) return stringColumn(chunks, c, rows);
  if (t.typeId === DuckDBTypeId.BOOLEAN) return boolColumn(chunks, c, rows);
  if (t instanceof DuckDBEnumType) return enumColumn(t, chunks, c, rows);
  const values = chunks.flatMap((ch) => ch.convertColumnValues(c, JsonDuckDBValueConverter))
    .map((v) => (v === null ? null : typeof v === 'string' ? v : JSON.stringify(v)));
  return vectorFromArray(values, new Utf8()).data[0]!;
}

/**
 * A VARCHAR column as Arrow UTF-8 (offsets and bytes). A DuckDB string is 16
 * bytes: its length, then the string itself when it fits in 12 bytes, or a
 * pointer to it. Strings a join repeats share a pointer, so within a chunk
 * each pointer is read once.
 */
function stringColumn(chunks: DuckDBDataChunk[], c: number, rows: number): Data {
  const offsets = new Int32Array(rows + 1);
  const { validity, nulls } = validityOf(chunks, c, rows);
  let data: Uint8Array = new Uint8Array(rows * 16);
  let total = 0;
  let at = 0;
  for (const ch of chunks) {
    const n = ch.rowCount;
    const raw = duckdb.vector_get_data(duckdb.data_chunk_get_vector(ch.chunk, c), n * 16);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const seen = new Map<number, Uint8Array>();
    for (let i = 0; i < n; i++) {
      const row = at + i;
      if (nulls > 0 && (validity[row >> 3]! & (1 << (row & 7))) === 0) {
        offsets[row + 1] = total;
        continue;
      }
      const len = view.getUint32(i * 16, true);
      if (total + len > data.length) data = grow(data, total + len);
      if (len <= 12) {
        for (let b = 0; b < len; b++) data[total + b] = raw[i * 16 + 4 + b]!;
      } else {
        const pointer = view.getUint32(i * 16 + 8, true) + view.getUint32(i * 16 + 12, true) * 2 ** 32;
        let bytes = seen.get(pointer);
        if (bytes === undefined || bytes.length !== len) {
          bytes = duckdb.get_data_from_pointer(raw.buffer as ArrayBuffer, raw.byteOffset + i * 16 + 8, len);
          seen.set(pointer, bytes);
        }
        data.set(bytes, total);
      }
      total += len;
      offsets[row + 1] = total;
    }
    at += n;
  }
  return makeData({
    type: new Utf8(), length: rows, nullCount: nulls, nullBitmap: nulls > 0 ? validity : undefined,
    valueOffsets: offsets, data: data.subarray(0, total),
  });
}

/** An ENUM column (events.source, intervals.source) as Arrow UTF-8: each index's name. */
function enumColumn(t: DuckDBEnumType, chunks: DuckDBDataChunk[], c: number, rows: number): Data {
  const width = t.internalTypeId === DuckDBTypeId.UTINYINT ? 1 : t.internalTypeId === DuckDBTypeId.USMALLINT ? 2 : 4;
  const names = t.values.map((v) => new TextEncoder().encode(v));
  const { validity, nulls } = validityOf(chunks, c, rows);
  const offsets = new Int32Array(rows + 1);
  let data: Uint8Array = new Uint8Array(rows * 4);
  let total = 0;
  let at = 0;
  for (const ch of chunks) {
    const n = ch.rowCount;
    const raw = duckdb.vector_get_data(duckdb.data_chunk_get_vector(ch.chunk, c), n * width);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) {
      const row = at + i;
      if (nulls === 0 || (validity[row >> 3]! & (1 << (row & 7))) !== 0) {
        const k = width === 1 ? raw[i]! : width === 2 ? view.getUint16(i * 2, true) : view.getUint32(i * 4, true);
        const name = names[k] ?? new Uint8Array(0);
        if (total + name.length > data.length) data = grow(data, total + name.length);
        data.set(name, total);
        total += name.length;
      }
      offsets[row + 1] = total;
    }
    at += n;
  }
  return makeData({
    type: new Utf8(), length: rows, nullCount: nulls, nullBitmap: nulls > 0 ? validity : undefined,
    valueOffsets: offsets, data: data.subarray(0, total),
  });
}

function grow(data: Uint8Array, need: number): Uint8Array {
  const bigger = new Uint8Array(Math.max(need, data.length * 2));
  bigger.set(data);
  return bigger;
}

/** DuckDB's one byte per boolean, packed into Arrow's bits. */
function boolColumn(chunks: DuckDBDataChunk[], c: number, rows: number): Data {
  const { validity, nulls } = validityOf(chunks, c, rows);
  const bits = new Uint8Array(Math.ceil(rows / 8));
  let at = 0;
  for (const ch of chunks) {
    const n = ch.rowCount;
    const raw = duckdb.vector_get_data(duckdb.data_chunk_get_vector(ch.chunk, c), n);
    for (let i = 0; i < n; i++) {
      if (raw[i]) bits[(at + i) >> 3] = bits[(at + i) >> 3]! | (1 << ((at + i) & 7));
    }
    at += n;
  }
  return makeData({ type: new Bool(), length: rows, nullCount: nulls, nullBitmap: nulls > 0 ? validity : undefined, data: bits });
}

/** The validity bits of a column across chunks, Arrow's way (1 = valid, LSB first). */
function validityOf(chunks: DuckDBDataChunk[], c: number, rows: number): { validity: Uint8Array; nulls: number } {
  const validity = new Uint8Array(Math.ceil(rows / 8)).fill(0xff);
  let nulls = 0;
  let at = 0;
  for (const ch of chunks) {
    const n = ch.rowCount;
    const mask = duckdb.vector_get_validity(duckdb.data_chunk_get_vector(ch.chunk, c), Math.ceil(n / 64) * 8);
    if (mask && mask.length > 0) {
      for (let i = 0; i < n; i++) {
        if ((mask[i >> 3]! & (1 << (i & 7))) === 0) {
          const bit = at + i;
          validity[bit >> 3] = validity[bit >> 3]! & ~(1 << (bit & 7));
          nulls++;
        }
      }
    }
    at += n;
  }
  return { validity, nulls };
}

/** Values and validity bits copied from each chunk's vector, end to end. */
function fixedColumn(type: DataType, fixed: Fixed, chunks: DuckDBDataChunk[], c: number, rows: number): Data {
  const values = new fixed.array(rows);
  const bytes = new Uint8Array(values.buffer);
  let at = 0;
  for (const ch of chunks) {
    const n = ch.rowCount;
    bytes.set(duckdb.vector_get_data(duckdb.data_chunk_get_vector(ch.chunk, c), n * fixed.bytes), at * fixed.bytes);
    at += n;
  }
  const { validity, nulls } = validityOf(chunks, c, rows);
  return makeData({
    type: type as Int32,
    length: rows,
    nullCount: nulls,
    nullBitmap: nulls > 0 ? validity : undefined,
    data: values as Int32Array,
  } as never) as Data;
}
