-- Certificate control and the egress proxy of a merchant (an endpoint may override the TLS settings): tls holds the
-- client certificate chain, CA bundle, pinned server keys and minimum version as JSON; the client key, write-only, sits
-- in its own column (sealed at rest), as does the proxy URL, which may carry the proxy's password.
alter table merchants add column tls jsonb;
alter table merchants add column tls_client_key text;
alter table merchants add column proxy_url text;
alter table endpoints add column tls jsonb;
alter table endpoints add column tls_client_key text;
