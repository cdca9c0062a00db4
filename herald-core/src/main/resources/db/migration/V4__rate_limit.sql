-- Optional per-endpoint rate limit in requests per second (null: unlimited, only the in-flight cap applies).
alter table endpoints add column rate_limit integer check (rate_limit > 0);
