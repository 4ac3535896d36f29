-- families: files whose names differ only in a sequence number, a pid, a hex or
-- random part or a temporary ending, taken as one.
--
-- purpose:    Rotating and temporary names each start with no history of their own:
--             PostgreSQL's WAL segments (pg_wal/000000010000000000000008), its
--             xlogtemp.30938, git's objects/xx/tmp_obj_XXXXXX, ZooKeeper's log.N,
--             *.tmp. Every component of a path is normalized, token by token (a token
--             is a run of letters and digits): a run of digits, and a hex run of 6 or
--             more characters with a digit in it, become '#'; a token of 6 or more
--             letters and digits mixed, or (after a separator) of 6 or more letters in
--             mixed case, becomes '*' (mkstemp's and tempfile's random parts); digits
--             inside another token become '#'; a component of two lowercase hex
--             characters (git's objects/xx fan-out) becomes '#'; a trailing '.tmp' or
--             '~' is dropped.
--             Files on one host with the same normalized path are one family: they
--             share a baseline (queries/20_baselines.sql), and the report shows them
--             as one row. A file alone under its pattern is a family of one.
-- inputs:     files
-- parameters: none
-- kept as:    table
-- output:     one row per file:
--   file_id              files.file_id
--   family_id            1, 2, ... by host and pattern
--   family               the normalized path ('#' a number, '*' a random part); the
--                        path itself for a family of one
--   members              files in the family

with

stems as (
  select file_id, host, path, regexp_replace(path, '(\.tmp|~)$', '') as stem
  from files
),

normalized as (
  select
    file_id,
    host,
    path,
    array_to_string(list_transform(string_split(stem, '/'), lambda c:
      case when regexp_full_match(c, '[0-9a-f]{2}') then '#' else array_to_string(list_transform(regexp_extract_all(c, '[A-Za-z0-9]+|[^A-Za-z0-9]+'), lambda t, i:
        case
          when regexp_full_match(t, '[0-9]+') then '#'
          when length(t) >= 6 and regexp_full_match(t, '[0-9a-fA-F]+') and regexp_matches(t, '[0-9]') then '#'
          when length(t) >= 6 and regexp_full_match(t, '[0-9A-Za-z]+') and regexp_matches(t, '[0-9]')
            and regexp_matches(t, '[A-Za-z]') then '*'
          when i > 1 and length(t) >= 6 and regexp_matches(t, '[a-z]') and regexp_matches(t, '[A-Z]') then '*'
          when regexp_matches(t, '[0-9]') then regexp_replace(t, '[0-9]+', '#', 'g')
          else t
        end), '') end), '/') as pattern
  from stems
),

grouped as (
  select
    *,
    dense_rank() over (order by host, pattern)::integer as family_id,
    count(*) over (partition by host, pattern)::integer as members
  from normalized
),

final as (
  select
    file_id,
    family_id,
    case when members = 1 then path else pattern end as family,
    members
  from grouped
)

select * from final
